// Batch normalization with the batch's own statistics as one op: a fused kernel forward and
// one back, where the composite runs some twenty-five broadcast ops over the activations.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { isGradEnabled, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { add, div, mul, square, sub } from "./arithmetic.js";
import { mean, sum } from "./reduce.js";
import { reshape } from "./shape.js";
import { sqrt } from "./unary.js";

/** What the training pass gives: y, and the batch's statistics for the running update. */
export interface BatchNormTrainResult {
  readonly y: Tensor;
  /** [c] float64: this batch's means and biased variances. */
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

/**
 * y = (x − μ)/√(σ² + eps)·γ + β over every axis of x [n, c, ...] but 1, μ and the biased σ² of
 * this batch (computed in float64). weight and bias, when given, have x's dtype. The VJP is
 * one kernel; when the backward pass is itself recorded (grad, hvp), it is ops that
 * recompute the statistics from x, so higher derivatives see them depend on x. `name` names
 * the op on the tape (layerNorm runs on it too).
 */
export function batchNormTrain(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, name = "batchNorm",
): BatchNormTrainResult {
  const [batch, channels] = x.shape;
  const inner = x.size / (batch * channels);
  const stats = { mean: allocate("float64", channels), variance: allocate("float64", channels) };
  const out = allocate(x.dtype, x.size);
  const shape = { batch, channels, inner, eps };
  getBackend().batchNormForward({
    x: x.data, ...shape, weight: weight?.data ?? null, bias: bias?.data ?? null, ...stats, out,
  });
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  const y = record(name, inputs, out, x.shape, (dy) => {
    const grads = isGradEnabled() || dy.dtype !== x.dtype
      ? recordedGrads(x, weight, eps, dy)
      : kernelGrads(x, weight, { ...shape, ...stats }, dy);
    return [x.requiresGrad ? grads.dx : null,
      ...(weight === null ? [] : [weight.requiresGrad ? grads.dWeight : null]),
      ...(bias === null ? [] : [bias.requiresGrad ? grads.dBias : null])];
  });
  return { y, mean: stats.mean as Float64Array, variance: stats.variance as Float64Array };
}

interface Grads {
  readonly dx: Tensor;
  readonly dWeight: Tensor;
  readonly dBias: Tensor;
}

/** The gradients by the fused kernel (a first-order backward pass). */
function kernelGrads(
  x: Tensor, weight: Tensor | null,
  stats: { batch: number; channels: number; inner: number; eps: number;
    mean: Float64Array | Float32Array; variance: Float64Array | Float32Array },
  dy: Tensor,
): Grads {
  const dx = allocate(x.dtype, x.size);
  const dWeight = allocate(x.dtype, stats.channels);
  const dBias = allocate(x.dtype, stats.channels);
  getBackend().batchNormBackward({
    x: x.data, dy: dy.data, ...stats, weight: weight?.data ?? null, dx, dWeight, dBias,
  });
  return {
    dx: new Tensor(dx, x.shape), dWeight: new Tensor(dWeight, [stats.channels]),
    dBias: new Tensor(dBias, [stats.channels]),
  };
}

/** The same gradients as recorded ops of x, weight and dy (for higher derivatives). */
function recordedGrads(x: Tensor, weight: Tensor | null, eps: number, dy: Tensor): Grads {
  const kept = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const centered = sub(x, mean(x, axes, true));
  const invStd = div(1, sqrt(add(mean(square(centered), axes, true), eps)));
  const xhat = mul(centered, invStd);
  const g = weight === null ? dy : mul(dy, reshape(weight, kept));
  const projection = mul(xhat, mean(mul(g, xhat), axes, true));
  const dx = mul(invStd, sub(sub(g, mean(g, axes, true)), projection));
  return { dx, dWeight: sum(mul(dy, xhat), axes), dBias: sum(dy, axes) };
}
