// linear: x·W + b with an optional relu/leakyRelu, fused into one product and one pass.
import { isAnomalyDetectionEnabled } from "../anomaly-mode.js";
import { allocate } from "../dtype.js";
import type { FusedActivation } from "../kernels/contract.js";
import { getBackend } from "../kernels/backend.js";
import { checkOptions } from "../options.js";
import { ShapeError, formatShape } from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./arithmetic.js";
import { astype, checkTensor } from "./convert.js";
import { matmul, matmulTransposed } from "./matmul.js";
import { sum } from "./reduce.js";
import { leakyStepMul } from "./step-mul.js";
import { leakyRelu, relu } from "./unary.js";

/** Options of `linear`: the activation applied to x·W + b and leakyRelu's slope. */
export interface LinearOptions {
  readonly activation?: FusedActivation;
  /** Negative-side slope of leakyRelu, ≥ 0 (default 0.01). */
  readonly slope?: number;
}

/**
 * act(x·W + b) for x: [batch, in], w: [in, out], b: [out] or null → [batch, out]. Equal,
 * value for value, to `leakyRelu(add(matmul(x, w), b), slope)` (or relu, or no activation),
 * but one product writes the output and one pass adds the bias and applies the activation.
 * @example linear(x, w, b, { activation: "leakyRelu", slope: 0.01 }) // a dense layer
 */
export function linear(
  x: Tensor, w: Tensor, b: Tensor | null, options?: LinearOptions,
): Tensor {
  checkTensor("linear", "x", x);
  checkTensor("linear", "w", w);
  if (b !== null) checkTensor("linear", "b", b);
  const { activation: act = "identity", slope = 0.01 } =
    checkOptions("linear", options, ["activation", "slope"]);
  if (act !== "identity" && act !== "relu" && act !== "leakyRelu") {
    throw new RangeError(
      `linear: activation must be "identity", "relu" or "leakyRelu"; got ${JSON.stringify(act)}`);
  }
  // NOTE: the vjp reads the activation's mask off the output, which needs slope ≥ 0.
  if (typeof slope !== "number" || !(slope >= 0) || !Number.isFinite(slope)) {
    throw new RangeError(`linear: slope must be a finite number ≥ 0; got ${String(slope)}`);
  }
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new ShapeError(
      `linear: x must be [batch, in] and w [in, out]; x is ${formatShape(x.shape)}, ` +
        `w is ${formatShape(w.shape)}`);
  }
  // NOTE: anomaly mode names the first op that makes NaN/Inf, so it runs the unfused ops.
  if (isAnomalyDetectionEnabled()) return unfused(x, w, b, act, slope);
  const [m, k] = x.shape;
  const n = w.shape[1];
  if (b !== null && (b.rank !== 1 || b.shape[0] !== n)) {
    throw new ShapeError(
      `linear: b must be [${n}] for w ${formatShape(w.shape)}; got ${formatShape(b.shape)}`);
  }
  // Mixed dtypes promote to float64, as the unfused ops would.
  const dtype = [x, w, b].some((t) => t?.dtype === "float64") ? "float64" : "float32";
  const [xs, ws] = [astype(x, dtype), astype(w, dtype)];
  const bs = b === null ? null : astype(b, dtype);
  const data = allocate(xs.dtype, m * n);
  getBackend().linear({
    x: xs.data, w: ws.data, bias: bs === null ? null : bs.data, out: data, m, k, n,
    activation: act, slope,
  });
  const inputs = bs === null ? [xs, ws] : [xs, ws, bs];
  const y = record("linear", inputs, data, [m, n], (dy) => {
    // dz = dy · act'(z), with act'(z) read off y: y > 0 exactly where z > 0 when slope ≥ 0.
    // NaN: relu passes the gradient, leakyRelu scales it by the slope (as PyTorch).
    const dz = act === "identity" ? dy
      : act === "relu" ? leakyStepMul(dy, y, 0, true) : leakyStepMul(dy, y, slope, false);
    return [
      xs.requiresGrad ? matmulTransposed(dz, ws, false, true) : null, // dx = dz·Wᵀ
      ws.requiresGrad ? matmulTransposed(xs, dz, true, false) : null, // dW = xᵀ·dz
      ...(bs === null ? [] : [bs.requiresGrad ? sum(dz, 0) : null]), // db = Σ_batch dz
    ];
  });
  return y;
}

/** The same function from the separate ops. */
function unfused(
  x: Tensor, w: Tensor, b: Tensor | null, act: FusedActivation, slope: number,
): Tensor {
  const z = b === null ? matmul(x, w) : add(matmul(x, w), b);
  return act === "relu" ? relu(z) : act === "leakyRelu" ? leakyRelu(z, slope) : z;
}
