// The constant-predictor baseline: the best loss a model that ignores its input can reach.
import { ShapeError, type Tensor, formatShape, reshape } from "@tapegrad/core";
import type { Reduction } from "./loss.js";
import type { LossName } from "./objective.js";

/** Options of baselineLoss: which loss, and how it is reduced (as in the loss functions). */
export interface BaselineOptions {
  readonly loss: LossName;
  /** Default "batchMean" for bce and mse, "mean" for crossEntropy. */
  readonly reduction?: Reduction;
}

/** x ln x with 0 ln 0 = 0. */
function xlnx(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/**
 * The per-sample loss of the best input-ignoring model, from the class frequencies p_k:
 * BCE summed over the outputs −Σ_k [p_k ln p_k + (1−p_k) ln(1−p_k)] (≈ 3.249 for MNIST),
 * or for softmax cross-entropy the label entropy −Σ_k p_k ln p_k (ln 10 for balanced classes).
 * @example frequencyBaseline("bce", new Array(10).fill(0.1)) // ≈ 3.2508
 */
export function frequencyBaseline(
  loss: "bce" | "crossEntropy",
  frequencies: ArrayLike<number>,
): number {
  let perSample = 0;
  for (let k = 0; k < frequencies.length; k++) {
    const p = frequencies[k];
    perSample -= loss === "bce" ? xlnx(p) + xlnx(1 - p) : xlnx(p);
  }
  return perSample;
}

/**
 * Per-column means of the targets: the label frequencies p_k, i.e. the best constant output.
 * `target` is [batch, classes] (one-hot, multi-label or real), or [batch] integer labels
 * with `classes` given. Returns a Float64Array of length `classes`.
 */
export function targetMeans(target: Tensor, classes?: number): Float64Array {
  if (target.rank === 1) {
    const k = classes ?? Math.max(0, ...Array.from(target.data)) + 1;
    const counts = new Float64Array(k);
    for (let i = 0; i < target.size; i++) counts[target.data[i]] += 1;
    return counts.map((c) => c / Math.max(1, target.size));
  }
  if (target.rank !== 2) {
    throw new ShapeError(
      `baselineLoss: target must be [batch, classes] or [batch]; got ${formatShape(target.shape)}`,
    );
  }
  const [n, k] = target.shape;
  const means = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) means[j] += target.data[i * k + j];
  return means.map((s) => s / Math.max(1, n));
}

/**
 * The loss of the best constant predictor on these targets — what a model that ignores its
 * input converges to. BCE: −Σ_k [p_k ln p_k + (1−p_k) ln(1−p_k)] with p_k the label
 * frequencies (≈ 3.249 on MNIST, against 10·ln 2 ≈ 6.93 for outputs stuck at 0.5);
 * cross-entropy: the label entropy −Σ_k p_k ln p_k; MSE: the summed target variance.
 * "batchMean" gives the sum over outputs; "mean" divides it by the number of outputs
 * (except for cross-entropy, whose "mean" is per sample); "sum" multiplies by the batch.
 * @example baselineLoss(oneHot(labels, 10), { loss: "bce" }) // ≈ 3.249 on MNIST
 */
export function baselineLoss(target: Tensor, options: BaselineOptions): number {
  const { loss } = options;
  const reduction = options.reduction ?? (loss === "crossEntropy" ? "mean" : "batchMean");
  const n = target.shape[0] ?? 1;
  // A [batch] target is one real output for mse (and integer labels otherwise).
  const t = loss !== "crossEntropy" && target.rank === 1 ? reshape(target, [n, 1]) : target;
  const p = targetMeans(t);
  let perSample = 0;
  if (loss === "bce" || loss === "crossEntropy") perSample = frequencyBaseline(loss, p);
  else {
    const k = p.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) perSample += (t.data[i * k + j] - p[j]) ** 2;
    }
    perSample /= Math.max(1, n);
  }
  switch (reduction) {
    case "batchMean": return perSample;
    case "mean": return loss === "crossEntropy" ? perSample : perSample / Math.max(1, p.length);
    case "sum": return perSample * n;
    case "none":
      throw new RangeError('baselineLoss: reduction "none" has no single baseline; got "none"');
  }
}
