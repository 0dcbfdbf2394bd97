// Binary cross-entropy on logits as one op: its value and its gradient are one fused kernel
// each, where the composite softplus(x) − t·x runs a dozen small ones, forward and back.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { ShapeError, formatShape } from "../shape.js";
import { isGradEnabled, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { mul, neg, sub } from "./arithmetic.js";
import { checkTensor } from "./convert.js";
import { sigmoid, softplus } from "./unary.js";

/**
 * The binary cross-entropy of logits x against targets t, per element: softplus(x) − t·x,
 * which is −[t·log σ(x) + (1 − t)·log(1 − σ(x))] without overflow for any x. x and t have one
 * shape; mixed dtypes promote to float64. The gradient is (σ(x) − t)·dy for x and −x·dy for t.
 * @example bceLogits(logits, targets).mean() // the usual BCE-with-logits loss
 */
export function bceLogits(x: Tensor, t: Tensor): Tensor {
  checkTensor("bceLogits", "x", x);
  checkTensor("bceLogits", "t", t);
  if (x.shape.length !== t.shape.length || x.shape.some((d, i) => d !== t.shape[i])) {
    throw new ShapeError(
      `bceLogits: x and t must have one shape; got ${formatShape(x.shape)} and ` +
        formatShape(t.shape),
    );
  }
  if (x.dtype !== t.dtype) return sub(softplus(x), mul(t, x)); // the ops promote
  const data = allocate(x.dtype, x.size);
  getBackend().bceLogits({ x: x.data, t: t.data, out: data });
  return record("bceLogits", [x, t], data, x.shape, (dy) => [
    x.requiresGrad ? gradX(x, t, dy) : null,
    t.requiresGrad ? neg(mul(x, dy)) : null,
  ]);
}

/** (σ(x) − t)·dy: one kernel, or ops when the backward pass is itself recorded. */
function gradX(x: Tensor, t: Tensor, dy: Tensor): Tensor {
  if (isGradEnabled() || dy.dtype !== x.dtype) return mul(sub(sigmoid(x), t), dy);
  const data = allocate(x.dtype, x.size);
  getBackend().bceLogitsGrad({ x: x.data, t: t.data, dy: dy.data, out: data });
  return new Tensor(data, x.shape);
}
