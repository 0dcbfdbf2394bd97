// Losses as functions: bce, bceWithLogits, crossEntropy, mse, with shared reductions.
import {
  type Indices, ShapeError, type Tensor, Tensor as TensorClass, bceLogits, clamp, formatShape, log,
  logSoftmax, mean, mul, neg, oneHot, sub, sum, add, square,
} from "@tapegrad/core";

/**
 * How per-element losses become the result: "mean" over every element, "sum", "none"
 * (elementwise), or "batchMean" — summed over everything, divided by the batch size (axis
 * 0). "batchMean" is the seed's convention: BCE summed over the 10 outputs, averaged over
 * the batch.
 */
export type Reduction = "mean" | "sum" | "none" | "batchMean";

export interface LossOptions {
  readonly reduction?: Reduction;
}

function reduce(op: string, losses: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case "none": return losses;
    case "sum": return sum(losses);
    case "mean": return mean(losses);
    case "batchMean": return mul(sum(losses), 1 / (losses.rank === 0 ? 1 : losses.shape[0]));
  }
  throw new RangeError(
    `${op}: reduction must be "mean", "sum", "none" or "batchMean"; ` +
      `got ${JSON.stringify(reduction)}`,
  );
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  if (!(input instanceof TensorClass) || !(target instanceof TensorClass)) {
    throw new TypeError(`${op}: input and target must be Tensors`);
  }
  if (input.rank !== target.rank || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(
      `${op}: input is ${formatShape(input.shape)} but target is ${formatShape(target.shape)}; ` +
        "they must match",
    );
  }
}

/**
 * Binary cross-entropy on probabilities: −[t·ln p + (1−t)·ln(1−p)]. NOTE: p is clamped
 * to [eps, 1 − eps] (eps 1e-7 by default) so a saturated output gives a large finite loss
 * instead of Infinity — at the cost of a zero gradient where the clamp bites. Prefer
 * `bceWithLogits` when you have the logits.
 */
export function bce(
  probabilities: Tensor, target: Tensor, options: LossOptions & { eps?: number } = {},
): Tensor {
  checkPair("bce", probabilities, target);
  const eps = options.eps ?? 1e-7;
  const p = clamp(probabilities, eps, 1 - eps);
  const losses = neg(add(mul(target, log(p)), mul(sub(1, target), log(sub(1, p)))));
  return reduce("bce", losses, options.reduction ?? "mean");
}

/**
 * Binary cross-entropy on logits z, as softplus(z) − t·z: exact and finite for any z (the
 * literal log(sigmoid(z)) turns into NaN at float32 once z passes about 17).
 */
export function bceWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkPair("bceWithLogits", logits, target);
  return reduce("bceWithLogits", bceLogits(logits, target), options.reduction ?? "mean");
}

/**
 * Softmax cross-entropy on logits [batch, classes] against integer labels (one per row) or
 * one-hot / soft targets of the logits' shape. "mean" averages over the batch.
 */
export function crossEntropy(
  logits: Tensor, target: Tensor | Indices, options: LossOptions = {},
): Tensor {
  if (!(logits instanceof TensorClass) || logits.rank !== 2) {
    throw new ShapeError(
      "crossEntropy: logits must be [batch, classes]; " +
        `got ${logits instanceof TensorClass ? formatShape(logits.shape) : typeof logits}`,
    );
  }
  const [batch, classes] = logits.shape;
  let targets: Tensor;
  if (target instanceof TensorClass && target.rank === 2) targets = target;
  else {
    const count = target instanceof TensorClass ? target.size : target.length;
    if (count !== batch) {
      throw new ShapeError(`crossEntropy: ${count} labels for a batch of ${batch}`);
    }
    targets = oneHot(target, classes, logits.dtype);
  }
  checkPair("crossEntropy", logits, targets);
  const losses = neg(sum(mul(targets, logSoftmax(logits, -1)), -1));
  const reduction = options.reduction ?? "mean";
  return reduce("crossEntropy", losses, reduction === "batchMean" ? "mean" : reduction);
}

/** Mean squared error (t − y)², reduced by `reduction` (default "mean"). */
export function mse(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkPair("mse", input, target);
  return reduce("mse", square(sub(input, target)), options.reduction ?? "mean");
}
