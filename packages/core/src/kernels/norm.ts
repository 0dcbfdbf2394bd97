// Normalization kernels: the running-statistics update of batch normalization.
import type { FloatArray } from "../dtype.js";

/** Arguments of `batchNormUpdate`. */
export interface BatchNormUpdateArgs {
  /** [c], updated in place */
  readonly runningMean: FloatArray;
  /** [c], updated in place */
  readonly runningVar: FloatArray;
  /** [c] this batch's means */
  readonly mean: FloatArray;
  /** [c] this batch's biased variances (divided by count) */
  readonly variance: FloatArray;
  /**
   * Weight of the batch statistics, in [0, 1]; null: the cumulative average, 1 / the batches
   * counted so far (`batches`, after this one is added).
   */
  readonly momentum: number | null;
  /** Values per channel in the batch (n·h·w), ≥ 2. */
  readonly count: number;
  /** [1] batches seen (PyTorch's num_batches_tracked), when kept: 1 is added, in place. */
  readonly batches?: FloatArray;
}

/**
 * PyTorch's update: runningMean ← (1 − m)·runningMean + m·mean, runningVar ← (1 − m)·runningVar
 * + m·variance·count/(count − 1) (the unbiased variance), in float64, rounded once; `batches`
 * counts the call first.
 */
export function batchNormUpdate(a: BatchNormUpdateArgs): void {
  const { runningMean, runningVar, mean, variance, count, batches } = a;
  if (batches !== undefined) batches[0] += 1;
  const m = a.momentum ?? 1 / (batches as FloatArray)[0];
  const unbias = count / (count - 1);
  for (let c = 0; c < runningMean.length; c++) {
    runningMean[c] = (1 - m) * runningMean[c] + m * mean[c];
    runningVar[c] = (1 - m) * runningVar[c] + m * variance[c] * unbias;
  }
}
