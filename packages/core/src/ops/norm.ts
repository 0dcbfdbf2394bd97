// Normalization: batchNorm (batch statistics and running-statistics update, or running
// statistics in eval mode) and layerNorm (batch norm's fused op over rows), as PyTorch defines
// them.
import { type FloatArray, allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { installNormKernels } from "../kernels/cnn-install.js";
import { checkOptions } from "../options.js";
import { ShapeError, formatShape, shapesEqual } from "../shape.js";
import { isGradEnabled, noGrad } from "../tape.js";
import { Tensor } from "../tensor.js";
import { add, div, mul, square, sub } from "./arithmetic.js";
import { batchNormTrain } from "./batch-norm-train.js";
import { checkTensor } from "./convert.js";
import { mean } from "./reduce.js";
import { reshape } from "./shape.js";
import { sqrt } from "./unary.js";

// The kernels these ops run on join the backends only where the ops are used.
installNormKernels();

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Shape [c]; updated in place (under noGrad) in training mode, read in eval mode. */
  readonly runningMean?: Tensor | null;
  readonly runningVar?: Tensor | null;
  /** [c] scale γ and shift β (default none: 1 and 0). */
  readonly weight?: Tensor | null;
  readonly bias?: Tensor | null;
  /** Batch statistics (true) or the running ones (false, the default, as F.batch_norm). */
  readonly training?: boolean;
  /**
   * Weight of each batch in the running statistics (default 0.1); null: their cumulative
   * average (1 / batches so far), which needs `numBatchesTracked`.
   */
  readonly momentum?: number | null;
  /**
   * [1] or [] count of training batches (PyTorch's num_batches_tracked), raised by 1 in place
   * with each running-statistics update (so a compiled step counts its replays too).
   */
  readonly numBatchesTracked?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

const BATCH_NORM_KEYS = ["runningMean", "runningVar", "weight", "bias", "training", "momentum",
  "eps", "numBatchesTracked"];

/**
 * Batch normalization over every axis but 1 of x [n, c, ...]: y = (x − μ)/√(σ² + eps)·γ + β.
 * Training: μ, σ² are this batch's (σ² biased), and the running statistics, when given, move
 * toward them: mean ← (1 − momentum)·mean + momentum·μ, var likewise with the unbiased σ²
 * (a kernel updates them, so a compiled step updates them on every replay), and
 * `numBatchesTracked`, when given, counts the update. Eval: the running statistics, as constants.
 * @example batchNorm(x, { runningMean, runningVar, weight, bias, training: true })
 */
export function batchNorm(x: Tensor, options: BatchNormOptions = {}): Tensor {
  checkTensor("batchNorm", "x", x);
  checkOptions("batchNorm", options, BATCH_NORM_KEYS);
  const { runningMean = null, runningVar = null, weight = null, bias = null } = options;
  const { numBatchesTracked = null } = options;
  const { training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (x.rank < 2) {
    throw new ShapeError(
      `batchNorm: x must be [batch, channels, ...]; got ${formatShape(x.shape)}`);
  }
  const c = x.shape[1];
  const perChannel = (role: string, t: Tensor | null): void => {
    if (t === null) return;
    checkTensor("batchNorm", role, t);
    if (!shapesEqual(t.shape, [c])) {
      throw new ShapeError(
        `batchNorm: ${role} must be [${c}] for x ${formatShape(x.shape)}; got ` +
          formatShape(t.shape));
    }
  };
  perChannel("runningMean", runningMean);
  perChannel("runningVar", runningVar);
  perChannel("weight", weight);
  perChannel("bias", bias);
  if ((runningMean === null) !== (runningVar === null)) {
    throw new Error("batchNorm: give both runningMean and runningVar, or neither");
  }
  if (typeof training !== "boolean") {
    throw new TypeError(`batchNorm: training must be a boolean; got ${String(training)}`);
  }
  if (momentum !== null && !(momentum >= 0 && momentum <= 1)) {
    throw new RangeError(
      `batchNorm: momentum must be in [0, 1] or null; got ${String(momentum)}`);
  }
  if (numBatchesTracked !== null) {
    checkTensor("batchNorm", "numBatchesTracked", numBatchesTracked);
    if (numBatchesTracked.size !== 1 || numBatchesTracked.rank > 1) {
      throw new ShapeError("batchNorm: numBatchesTracked must be [] or [1]; got " +
        formatShape(numBatchesTracked.shape));
    }
    if (runningMean === null) {
      throw new Error("batchNorm: numBatchesTracked counts running-statistics updates; give " +
        "runningMean and runningVar too");
    }
  }
  if (momentum === null && training && runningMean !== null && numBatchesTracked === null) {
    throw new Error("batchNorm: momentum null (a cumulative average) needs numBatchesTracked");
  }
  if (!(eps >= 0 && Number.isFinite(eps))) {
    throw new RangeError(`batchNorm: eps must be a finite number ≥ 0; got ${String(eps)}`);
  }
  const kept = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let centered: Tensor;
  let variance: Tensor;
  if (training) {
    const count = x.size / c;
    if (count <= 1) {
      throw new ShapeError(
        `batchNorm: training needs more than 1 value per channel; got x ${formatShape(x.shape)}`);
    }
    const update = (batchMean: FloatArray, batchVariance: FloatArray): void => {
      if (runningMean === null || runningVar === null) return;
      noGrad(() => getBackend().batchNormUpdate({
        runningMean: runningMean.data, runningVar: runningVar.data, mean: batchMean,
        variance: batchVariance, momentum, count,
        ...(numBatchesTracked === null ? {} : { batches: numBatchesTracked.data }),
      }));
    };
    // One fused op where weight and bias share x's dtype; else ops, which promote.
    if ([weight, bias].every((t) => t === null || t.dtype === x.dtype)) {
      const pass = batchNormTrain(x, weight, bias, eps);
      update(pass.mean, pass.variance);
      return pass.y;
    }
    const mu = mean(x, axes, true);
    centered = sub(x, mu);
    variance = mean(square(centered), axes, true);
    update(mu.data, variance.data);
  } else {
    if (runningMean === null || runningVar === null) {
      throw new Error("batchNorm: eval mode (training: false) needs runningMean and runningVar");
    }
    // Inference (nothing to differentiate) in one kernel, the ops' values bit for bit.
    const tracked = isGradEnabled() && [x, weight, bias].some((t) => t?.requiresGrad === true);
    const operands = [runningMean, runningVar, weight, bias];
    if (!tracked && operands.every((t) => t === null || t.dtype === x.dtype)) {
      const out = allocate(x.dtype, x.size);
      getBackend().batchNormEval({
        x: x.data, batch: x.shape[0], channels: c, inner: x.size / (x.shape[0] * c), eps,
        mean: runningMean.data, variance: runningVar.data, weight: weight?.data ?? null,
        bias: bias?.data ?? null, out,
      });
      return new Tensor(out, x.shape);
    }
    centered = sub(x, reshape(runningMean.detach(), kept));
    variance = reshape(runningVar.detach(), kept);
  }
  let y = div(centered, sqrt(add(variance, eps)));
  if (weight !== null) y = mul(y, reshape(weight, kept));
  if (bias !== null) y = add(y, reshape(bias, kept));
  return y;
}

/** Options of `layerNorm`. */
export interface LayerNormOptions {
  /** Scale and shift of the normalized shape (default none). */
  readonly weight?: Tensor | null;
  readonly bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

/**
 * Layer normalization over the last dims of x given by `normalizedShape` (as PyTorch's
 * layer_norm): y = (x − μ)/√(σ² + eps)·weight + bias, μ and the biased σ² over those dims
 * (computed in float64, as batch norm's).
 * @example layerNorm(h, [512], { weight: g, bias: b }) // h: [batch, tokens, 512]
 */
export function layerNorm(
  x: Tensor, normalizedShape: readonly number[], options: LayerNormOptions = {},
): Tensor {
  checkTensor("layerNorm", "x", x);
  checkOptions("layerNorm", options, ["weight", "bias", "eps"]);
  const { weight = null, bias = null, eps = 1e-5 } = options;
  const k = Array.isArray(normalizedShape) ? normalizedShape.length : -1;
  if (k < 1 || k > x.rank ||
    !shapesEqual(x.shape.slice(x.rank - k), normalizedShape as number[])) {
    throw new ShapeError(
      `layerNorm: normalizedShape ${Array.isArray(normalizedShape)
        ? formatShape(normalizedShape) : String(normalizedShape)} must be the last ` +
        `dimensions of x ${formatShape(x.shape)}`);
  }
  for (const [role, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t === null) continue;
    checkTensor("layerNorm", role, t);
    if (!shapesEqual(t.shape, normalizedShape)) {
      throw new ShapeError(
        `layerNorm: ${role} must be ${formatShape(normalizedShape)}; got ${formatShape(t.shape)}`);
    }
  }
  if (!(eps >= 0 && Number.isFinite(eps))) {
    throw new RangeError(`layerNorm: eps must be a finite number ≥ 0; got ${String(eps)}`);
  }
  // Each row of the normalized dims is one channel of batch norm's fused op on a
  // [1, rows, size] view (its statistics in float64, its kernels on wasm for float32).
  const size = x.shape.slice(x.rank - k).reduce((a, b) => a * b, 1);
  let y: Tensor;
  if (x.size > 0) {
    const rows = reshape(x, [1, x.size / size, size]);
    y = reshape(batchNormTrain(rows, null, null, eps, "layerNorm").y, x.shape);
  } else {
    const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
    const centered = sub(x, mean(x, axes, true));
    y = div(centered, sqrt(add(mean(square(centered), axes, true), eps)));
  }
  if (weight !== null) y = mul(y, weight);
  if (bias !== null) y = add(y, bias);
  return y;
}
