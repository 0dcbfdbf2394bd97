// modelLoss: a model's loss computed on the stable path its output activation allows.
import type { Indices, Tensor } from "@tapegrad/core";
import { type LossOptions, bce, bceWithLogits, crossEntropy, mse } from "./loss.js";
import type { Sequential } from "./sequential.js";

/** The losses `modelLoss` knows. */
export type LossName = "bce" | "crossEntropy" | "mse";

/**
 * The loss of `model` on `x` against `target`, choosing the stable form automatically: a
 * model ending in sigmoid with BCE is scored on its logits by `bceWithLogits` (the literal
 * log(sigmoid) turns into NaN at float32 once logits pass about 17), and one ending in
 * softmax with cross-entropy by `crossEntropy` on its logits. Other pairs use the output.
 * @example modelLoss(model, x, y, "bce", { reduction: "batchMean" }) // the seed's loss, stably
 */
export function modelLoss(
  model: Sequential,
  x: Tensor,
  target: Tensor | Indices,
  loss: LossName,
  options: LossOptions = {},
): Tensor {
  const activation = model.outputActivation;
  switch (loss) {
    case "bce":
      return activation === "sigmoid"
        ? bceWithLogits(model.logits(x), target as Tensor, options)
        : bce(model.forward(x), target as Tensor, options);
    case "crossEntropy":
      if (activation !== "softmax" && activation !== "identity") {
        throw new RangeError(
          `modelLoss: crossEntropy needs a model ending in softmax or identity (logits); ` +
            `this one ends in ${activation}`,
        );
      }
      return crossEntropy(model.logits(x), target, options);
    case "mse":
      return mse(model.forward(x), target as Tensor, options);
  }
  throw new RangeError(
    `modelLoss: loss must be "bce", "crossEntropy" or "mse"; got ${JSON.stringify(loss)}`,
  );
}
