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

/** Arguments of `batchNormForward`: x as [batch, channels, inner], statistics per channel. */
export interface BatchNormForwardArgs {
  readonly x: FloatArray;
  readonly batch: number;
  readonly channels: number;
  /** Values per sample and channel (h·w; 1 for [batch, channels]). */
  readonly inner: number;
  readonly eps: number;
  /** [channels] scale γ and shift β, or null (1 and 0). */
  readonly weight: FloatArray | null;
  readonly bias: FloatArray | null;
  /** [channels] float64, written: this batch's means and biased variances. */
  readonly mean: FloatArray;
  readonly variance: FloatArray;
  /** Like x, written. */
  readonly out: FloatArray;
}

/**
 * Batch normalization with this batch's statistics, per channel: μ and the biased σ² in
 * float64 (two passes), then out = (x − μ)·γ/√(σ² + eps) + β, rounded once to out's dtype.
 */
export function batchNormForward(a: BatchNormForwardArgs): void {
  const { x, batch, channels, inner, eps, weight, bias, mean, variance, out } = a;
  const count = batch * inner;
  const stride = channels * inner;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      for (let i = 0; i < inner; i++) s += x[o + i];
    }
    const mu = s / count;
    let q = 0;
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      for (let i = 0; i < inner; i++) q += (x[o + i] - mu) * (x[o + i] - mu);
    }
    const v = q / count;
    mean[c] = mu;
    variance[c] = v;
    const scale = (weight === null ? 1 : weight[c]) / Math.sqrt(v + eps);
    const shift = bias === null ? 0 : bias[c];
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      for (let i = 0; i < inner; i++) out[o + i] = (x[o + i] - mu) * scale + shift;
    }
  }
}

/** Arguments of `batchNormBackward`: the forward's x, statistics and weight, and dy. */
export interface BatchNormBackwardArgs {
  readonly x: FloatArray;
  readonly dy: FloatArray;
  readonly batch: number;
  readonly channels: number;
  readonly inner: number;
  readonly eps: number;
  readonly weight: FloatArray | null;
  /** [channels] float64: what `batchNormForward` wrote. */
  readonly mean: FloatArray;
  readonly variance: FloatArray;
  /** Like x, written. */
  readonly dx: FloatArray;
  /** [channels], written: Σ dy·x̂ and Σ dy per channel. */
  readonly dWeight: FloatArray;
  readonly dBias: FloatArray;
}

/**
 * The gradients of `batchNormForward` (training statistics), per channel in float64:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(σ² + eps)·(dy − dβ/m − x̂·dγ/m), x̂ = (x − μ)/√(σ² + eps).
 */
export function batchNormBackward(a: BatchNormBackwardArgs): void {
  const { x, dy, batch, channels, inner, eps, weight, mean, variance } = a;
  const { dx, dWeight, dBias } = a;
  const count = batch * inner;
  const stride = channels * inner;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c];
    const invStd = 1 / Math.sqrt(variance[c] + eps);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      for (let i = 0; i < inner; i++) {
        sumDy += dy[o + i];
        sumDyXhat += dy[o + i] * (x[o + i] - mu) * invStd;
      }
    }
    dBias[c] = sumDy;
    dWeight[c] = sumDyXhat;
    const k = (weight === null ? 1 : weight[c]) * invStd;
    const meanDy = sumDy / count;
    const meanDyXhat = sumDyXhat / count;
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      for (let i = 0; i < inner; i++) {
        dx[o + i] = k * (dy[o + i] - meanDy - (x[o + i] - mu) * invStd * meanDyXhat);
      }
    }
  }
}

/** Arguments of `batchNormEval`: x as [batch, channels, inner], the running statistics. */
export interface BatchNormEvalArgs {
  readonly x: FloatArray;
  readonly batch: number;
  readonly channels: number;
  readonly inner: number;
  readonly eps: number;
  /** [channels] the running mean and variance, of x's dtype. */
  readonly mean: FloatArray;
  readonly variance: FloatArray;
  readonly weight: FloatArray | null;
  readonly bias: FloatArray | null;
  /** Like x, written. */
  readonly out: FloatArray;
}

/**
 * Batch normalization with given statistics: out = (x − mean)/√(variance + eps)·γ + β, each
 * step rounded to out's dtype as the ops sub, add, sqrt, div, mul and add would round it (eps
 * too, as a scalar operand is), so the result is theirs bit for bit.
 */
export function batchNormEval(a: BatchNormEvalArgs): void {
  const { x, batch, channels, inner, mean, variance, weight, bias, out } = a;
  // Each step is stored into out, which rounds it to out's dtype as an op's output would be.
  const one = out instanceof Float32Array ? new Float32Array(1) : new Float64Array(1);
  one[0] = a.eps; // a scalar operand takes the tensor's dtype
  const eps = one[0];
  const stride = channels * inner;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c];
    one[0] = variance[c] + eps;
    one[0] = Math.sqrt(one[0]);
    const s = one[0];
    for (let n = 0, o = c * inner; n < batch; n++, o += stride) {
      const end = o + inner;
      for (let i = o; i < end; i++) out[i] = x[i] - mu;
      for (let i = o; i < end; i++) out[i] = out[i] / s;
      if (weight !== null) for (let i = o, w = weight[c]; i < end; i++) out[i] = out[i] * w;
      if (bias !== null) for (let i = o, b = bias[c]; i < end; i++) out[i] = out[i] + b;
    }
  }
}
