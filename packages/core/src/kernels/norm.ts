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
  /** Weight of the batch statistics, in [0, 1]. */
  readonly momentum: number;
  /** Values per channel in the batch (n·h·w), ≥ 2. */
  readonly count: number;
}

/**
 * PyTorch's update: runningMean ← (1 − m)·runningMean + m·mean, runningVar ← (1 − m)·runningVar
 * + m·variance·count/(count − 1) (the unbiased variance), in float64, rounded once.
 */
export function batchNormUpdate(a: BatchNormUpdateArgs): void {
  const { runningMean, runningVar, mean, variance, momentum: m, count } = a;
  const unbias = count / (count - 1);
  for (let c = 0; c < runningMean.length; c++) {
    runningMean[c] = (1 - m) * runningMean[c] + m * mean[c];
    runningVar[c] = (1 - m) * runningVar[c] + m * variance[c] * unbias;
  }
}
