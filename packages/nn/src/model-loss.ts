// modelLoss: a model's loss computed on the stable path its output activation allows.
import type { Indices, Tensor } from "@tapegrad/core";
import { Tensor as TensorClass, oneHot } from "@tapegrad/core";
import type { LossOptions } from "./loss.js";
import type { Module } from "./module.js";
import {
  type LossName, type TargetKind, objectiveLoss, predictionOf, resolveObjective, targetKindOf,
} from "./objective.js";

/**
 * The loss of `model` on `x` against `target`, on the stable path the objective picks
 * (resolveObjective): a model ending in sigmoid with BCE is scored on its logits by
 * `bceWithLogits` (the literal log(sigmoid) turns into NaN at float32 once logits pass about
 * 17), and one ending in softmax with cross-entropy by `crossEntropy` on its logits. The
 * reduction defaults to the objective's "batchMean" (summed over outputs, averaged over the
 * batch). `target` is [batch, outputs], or class labels for crossEntropy.
 * @example modelLoss(model, x, y, "bce") // the seed's loss, stably
 */
export function modelLoss(
  model: Module,
  x: Tensor,
  target: Tensor | Indices,
  loss: LossName,
  options: LossOptions = {},
): Tensor {
  const isTensor = target instanceof TensorClass;
  const kind: TargetKind = isTensor ? targetKindOf(target) : "labels";
  const objective = resolveObjective(model, { loss, reduction: options.reduction }, kind,
    "modelLoss");
  const prediction = predictionOf(objective, model, x);
  const labels = isTensor ? target : oneHot(target, objective.outputs, prediction.dtype);
  return objectiveLoss(objective, prediction, labels);
}
