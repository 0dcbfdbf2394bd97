// The objective of training: which loss, on logits or outputs, its reduction, the task (for
// metrics) and the constant-predictor baseline — decided here, from the model and the options.
import { type Tensor, checkOptions } from "@tapegrad/core";
import type { ActivationName } from "./activations.js";
import { checkChoice } from "./choices.js";
import { frequencyBaseline } from "./diagnose-baseline.js";
import { type Reduction, bce, bceWithLogits, crossEntropy, mse } from "./loss.js";
import type { Module } from "./module.js";
import { outputSizeOf } from "./model-shape.js";

/** The losses a model can be trained and diagnosed with. */
export const LOSSES = ["bce", "crossEntropy", "mse"] as const;
export type LossName = (typeof LOSSES)[number];

/**
 * What the outputs mean, which decides the metrics: one class per sample out of K
 * ("multiclass"), one sigmoid unit for two classes ("binary"), K independent yes/no labels
 * ("multilabel"), or real values ("regression").
 */
export const TASKS = ["multiclass", "binary", "multilabel", "regression"] as const;
export type Task = (typeof TASKS)[number];

/**
 * The form the targets come in: integer class labels (one per sample), one-hot rows, or other
 * values per output (multi-hot labels, soft targets, regression targets).
 */
export type TargetKind = "labels" | "oneHot" | "values";

/** Options that choose or override parts of the {@link Objective}. */
export interface ObjectiveOptions {
  /** Default: bce for sigmoid outputs, crossEntropy for softmax (and for identity outputs
   * trained on class labels), mse otherwise. */
  readonly loss?: LossName;
  /**
   * Default "batchMean": each sample's loss summed over its outputs, averaged over the batch
   * (the same as "mean" for one output, and for crossEntropy, whose "batchMean" is per sample).
   */
  readonly reduction?: Reduction;
  /** Default: inferred from the loss, the number of outputs and the targets' form. */
  readonly task?: Task;
}

/** The loss and metrics a model trains with, decided by {@link resolveObjective}. */
export interface Objective {
  readonly loss: LossName;
  /**
   * Whether the loss takes the model's logits (its output before a final sigmoid/softmax, or
   * an identity output): bceWithLogits and crossEntropy then stay exact for any logit.
   */
  readonly fromLogits: boolean;
  readonly reduction: Reduction;
  readonly task: Task;
  /** Number of model outputs (units of the last layer). */
  readonly outputs: number;
  /** Classes of the accuracy and confusion matrix: K, 2 for binary, K labels, 0 for regression. */
  readonly classes: number;
}

const OBJECTIVE_KEYS = ["loss", "reduction", "task"];

/** Whether every row of [samples, k] `t` (those in `rows`, default all) is one-hot. */
export function isOneHot(t: Tensor, rows?: ArrayLike<number>): boolean {
  const k = t.shape[1];
  if (t.rank !== 2 || k < 2) return false;
  const count = rows === undefined ? t.shape[0] : rows.length;
  for (let i = 0; i < count; i++) {
    const r = rows === undefined ? i : rows[i];
    let ones = 0;
    for (let j = 0; j < k; j++) {
      const v = t.data[r * k + j];
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
}

/** The form of a target tensor: [batch] labels, one-hot rows, or other values. */
export function targetKindOf(target: Tensor): TargetKind {
  if (target.rank === 1) return "labels";
  return isOneHot(target) ? "oneHot" : "values";
}

/** What the objective reads from a model: its final activation and whether it has logits(). */
interface ModelHead {
  readonly outputActivation?: ActivationName;
  logits?(x: Tensor): Tensor;
}

/** The activation applied last by `model` ("identity" for models that do not say). */
export function outputActivationOf(model: Module): ActivationName {
  return (model as ModelHead).outputActivation ?? "identity";
}

/**
 * Decides the {@link Objective} for `model` (its output activation and number of outputs),
 * the `options` and the form of the targets (default "labels" for several outputs, else
 * "values"). The one place where loss, logits, reduction, task and classes are chosen; fit,
 * evaluate, modelLoss and diagnose all ask it. Throws for pairs that cannot be right, such as
 * crossEntropy on sigmoid outputs.
 * @example resolveObjective(fromSpec(seedSpec())) // { loss: "bce", fromLogits: true, ... }
 */
export function resolveObjective(
  model: Module, options: ObjectiveOptions = {}, targets?: TargetKind, where = "fit",
): Objective {
  checkOptions(where, options, OBJECTIVE_KEYS);
  const activation = outputActivationOf(model);
  const outputs = outputSizeOf(model);
  const kind = targets ?? (outputs > 1 ? "labels" : "values");
  const loss = options.loss ?? defaultLoss(activation, kind, outputs);
  checkChoice(where, "loss", loss, LOSSES);
  const fromLogits = usesLogits(where, loss, activation);
  const reduction = options.reduction ?? "batchMean";
  const task = options.task ?? defaultTask(loss, kind, outputs);
  checkChoice(where, "task", task, TASKS);
  if (task === "binary" && outputs !== 1) {
    throw new RangeError(`${where}: a binary task needs a model with 1 output; this one has ` +
      `${outputs} (use task "multiclass" or "multilabel")`);
  }
  if (task === "multiclass" && outputs < 2) {
    throw new RangeError(`${where}: a multiclass task needs 2 or more outputs; this model has ` +
      `${outputs} (one sigmoid output is task "binary")`);
  }
  const classes = task === "regression" ? 0 : task === "binary" ? 2 : outputs;
  return { loss, fromLogits, reduction, task, outputs, classes };
}

function defaultLoss(activation: ActivationName, kind: TargetKind, outputs: number): LossName {
  if (activation === "sigmoid") return "bce";
  if (activation === "softmax") return "crossEntropy";
  if (activation === "identity" && outputs > 1 && kind !== "values") return "crossEntropy";
  return "mse";
}

function defaultTask(loss: LossName, kind: TargetKind, outputs: number): Task {
  if (loss === "mse") return "regression";
  if (loss === "crossEntropy") return "multiclass";
  if (outputs === 1) return "binary";
  return kind === "values" ? "multilabel" : "multiclass";
}

function usesLogits(where: string, loss: LossName, activation: ActivationName): boolean {
  if (loss === "mse") return false;
  if (loss === "crossEntropy") {
    if (activation === "softmax" || activation === "identity") return true;
    throw new RangeError(`${where}: crossEntropy needs a model ending in softmax or identity ` +
      `(logits); this one ends in ${activation}`);
  }
  if (activation === "sigmoid" || activation === "identity") return true;
  if (activation === "softmax") return false; // probabilities: bce on them, clamped
  throw new RangeError(`${where}: bce needs probabilities or logits; this model ends in ` +
    `${activation} (end it in sigmoid, or identity for logits)`);
}

/**
 * What the loss of `objective` takes from `model` on `x`: the logits (before a final
 * sigmoid/softmax) when `objective.fromLogits`, else the output.
 */
export function predictionOf(objective: Objective, model: Module, x: Tensor): Tensor {
  const head = model as ModelHead;
  return objective.fromLogits && head.logits ? head.logits(x) : model.forward(x);
}

/**
 * The loss of `prediction` (from {@link predictionOf}) against `target`: [batch, outputs]
 * values, or for crossEntropy also [batch] class labels.
 */
export function objectiveLoss(objective: Objective, prediction: Tensor, target: Tensor): Tensor {
  const options = { reduction: objective.reduction };
  switch (objective.loss) {
    case "bce":
      return objective.fromLogits
        ? bceWithLogits(prediction, target, options)
        : bce(prediction, target, options);
    case "crossEntropy": return crossEntropy(prediction, target, options);
    case "mse": return mse(prediction, target, options);
  }
}

/**
 * The loss of the best constant predictor given the class counts of integer labels (the
 * frequencies p_k = counts_k / n): BCE −Σ_k [p_k ln p_k + (1−p_k) ln(1−p_k)] over the outputs
 * (one output: p of class 1), cross-entropy the label entropy; scaled as the reduction scales.
 * @example labelBaseline(objective, [5923, 6742, ...]) // ≈ 3.249 for MNIST and the seed's BCE
 */
export function labelBaseline(objective: Objective, counts: ArrayLike<number>): number {
  let n = 0;
  for (let k = 0; k < counts.length; k++) n += counts[k];
  const frequencies = Array.from(counts, (c) => c / Math.max(1, n));
  if (objective.loss === "mse") {
    throw new RangeError("labelBaseline: mse targets are values, not labels");
  }
  const p = objective.task === "binary" ? [frequencies[1] ?? 0] : frequencies;
  const perSample = frequencyBaseline(objective.loss, p);
  switch (objective.reduction) {
    case "batchMean": return perSample;
    case "mean": return objective.loss === "crossEntropy" ? perSample : perSample / p.length;
    case "sum": return perSample * n;
    case "none":
      throw new RangeError('labelBaseline: reduction "none" has no single baseline; got "none"');
  }
}
