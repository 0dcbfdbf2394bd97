// Losses as functions: bce, bceWithLogits, crossEntropy, mse, with shared reductions.
import {
  type Indices, ShapeError, type Tensor, Tensor as TensorClass, bceLogits, checkOptions, clamp,
  classProbabilities, formatShape, log, logSoftmax, mean, mul, neg, oneHot, sqrt, sub, sum, add,
  square, where,
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
 * instead of Infinity — at the cost of a zero gradient where the clamp bites. A p outside
 * [0, 1] is an error (as PyTorch's); a NaN p gives a NaN loss. Prefer `bceWithLogits` when
 * you have the logits.
 */
export function bce(
  probabilities: Tensor, target: Tensor, options: LossOptions & { eps?: number } = {},
): Tensor {
  const { eps = 1e-7, reduction = "mean" } = checkOptions("bce", options, ["reduction", "eps"]);
  checkPair("bce", probabilities, target);
  if (typeof eps !== "number" || !(eps > 0 && eps < 0.5)) {
    // 0 would let ln 0 through: t·ln p is 0·(−∞) = NaN at p = 0 (PyTorch clamps ln at −100).
    throw new RangeError(`bce: eps must be a number in (0, 0.5); got ${String(eps)}`);
  }
  checkProbabilities(probabilities);
  // The check above reads the values now; a compiled step replays only the ops, so there a p
  // outside [0, 1] turns into NaN instead: sqrt(p) and sqrt(1 − p) are NaN there, 0·them 0 inside.
  const d = probabilities.detach();
  const outside = mul(add(sqrt(d), sqrt(sub(1, d))), 0);
  const p = clamp(add(probabilities, outside), eps, 1 - eps);
  const losses = neg(add(mul(target, log(p)), mul(sub(1, target), log(sub(1, p)))));
  return reduce("bce", losses, reduction);
}

/** Probabilities must lie in [0, 1] (NaN passes: it reaches the loss as NaN). */
function checkProbabilities(p: Tensor): void {
  const values = p.data;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= 0 && v <= 1 || Number.isNaN(v)) continue;
    throw new RangeError(`bce: probabilities must be in [0, 1]; got ${v} at position ${i} ` +
      "(for scores or logits use bceWithLogits)");
  }
}

/**
 * Binary cross-entropy on logits z, as softplus(z) − t·z: exact and finite for any z (the
 * literal log(sigmoid(z)) turns into NaN at float32 once z passes about 17).
 */
export function bceWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const { reduction = "mean" } = checkOptions("bceWithLogits", options, ["reduction"]);
  checkPair("bceWithLogits", logits, target);
  return reduce("bceWithLogits", bceLogits(logits, target), reduction);
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends LossOptions {
  /** ε in [0, 1]: targets become (1 − ε)·target + ε/classes, as PyTorch's (default 0). */
  readonly labelSmoothing?: number;
}

/**
 * Softmax cross-entropy on logits [batch, classes, ...] (class axis 1, as PyTorch) against
 * class indices of shape [batch, ...] (a tensor, read when the kernels run; or an array of labels
 * for [batch, classes]), or target probabilities of the logits' shape. "mean" averages over
 * every position but the class axis. With class indices a logit of −∞ (a masked class) other
 * than the target's adds nothing, as in PyTorch; with probabilities it gives NaN, as there.
 * @example crossEntropy(logits, labels, { labelSmoothing: 0.1 }) // logits [64, 10], labels [64]
 */
export function crossEntropy(
  logits: Tensor, target: Tensor | Indices, options: CrossEntropyOptions = {},
): Tensor {
  options = checkOptions("crossEntropy", options, ["reduction", "labelSmoothing"]);
  if (!(logits instanceof TensorClass) || logits.rank < 2) {
    throw new ShapeError(
      "crossEntropy: logits must be [batch, classes, ...]; " +
        `got ${logits instanceof TensorClass ? formatShape(logits.shape) : typeof logits}`,
    );
  }
  const [batch, classes] = logits.shape;
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(
      `crossEntropy: labelSmoothing must be in [0, 1]; got ${String(smoothing)}`);
  }
  const smooth = (t: Tensor): Tensor =>
    smoothing === 0 ? t : add(mul(t, 1 - smoothing), smoothing / classes);
  let targets: Tensor;
  const probabilities = target instanceof TensorClass && target.rank === logits.rank;
  if (probabilities) targets = smooth(target);
  else if (target instanceof TensorClass) {
    const expected = logits.shape.filter((_, i) => i !== 1);
    const count = target.size;
    if (logits.rank === 2 && count !== batch) {
      throw new ShapeError(`crossEntropy: ${count} labels for a batch of ${batch}`);
    }
    if (target.rank !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `crossEntropy: class indices must be ${formatShape(expected)} for logits ` +
          `${formatShape(logits.shape)}; got ${formatShape(target.shape)}`);
    }
    targets = classProbabilities(target, classes, {
      axis: 1, labelSmoothing: smoothing, dtype: logits.dtype,
    });
  } else {
    if (logits.rank !== 2) {
      throw new ShapeError(
        "crossEntropy: label arrays need logits [batch, classes]; got " +
          `${formatShape(logits.shape)}; pass the class indices as a tensor`);
    }
    if (target.length !== batch) {
      throw new ShapeError(`crossEntropy: ${target.length} labels for a batch of ${batch}`);
    }
    targets = smooth(oneHot(target, classes, logits.dtype));
  }
  checkPair("crossEntropy", logits, targets);
  const logp = logSoftmax(logits, 1);
  // NOTE: with class indices a class of target 0 adds 0, even at a logit of −∞ (a masked class)
  // where 0·(−∞) is NaN: PyTorch's loss reads only the target's log-probability there. One-hot
  // targets pick the log-probability (1·x = x, the same bits as the product) in one op; with
  // smoothing every target is > 0, and the product is right as it is.
  const terms = probabilities || smoothing > 0 ? mul(targets, logp) : where(targets, logp, 0);
  const losses = neg(sum(terms, 1));
  const reduction = options.reduction ?? "mean";
  return reduce("crossEntropy", losses, reduction === "batchMean" ? "mean" : reduction);
}

/** Mean squared error (t − y)², reduced by `reduction` (default "mean"). */
export function mse(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const { reduction = "mean" } = checkOptions("mse", options, ["reduction"]);
  checkPair("mse", input, target);
  return reduce("mse", square(sub(input, target)), reduction);
}
