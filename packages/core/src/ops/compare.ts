// Comparisons (masks of 1 and 0, no gradient) and where, which routes gradients by a mask.
import { allocate } from "../dtype.js";
import type { BinaryKernel } from "../kernels/contract.js";
import { getBackend } from "../kernels/backend.js";
import { broadcastShapes, broadcastStrides, sizeOf } from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { sumToShape } from "./broadcast.js";
import { type TensorLike, checkTensor, operands } from "./convert.js";
import { constantTensor, zipData } from "./forward.js";
import { zerosLike } from "../creation.js";

function comparison(op: BinaryKernel, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(op, a, b);
  return constantTensor(zipData(op, op, x, y));
}

/** 1 where a > b, else 0 (broadcasting; not differentiable). */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return comparison("greater", a, b);
}
/** 1 where a ≥ b, else 0. */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return comparison("greaterEqual", a, b);
}
/** 1 where a < b, else 0. */
export function less(a: TensorLike, b: TensorLike): Tensor { return comparison("less", a, b); }
/** 1 where a ≤ b, else 0. */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return comparison("lessEqual", a, b);
}
/** 1 where a = b, else 0. */
export function equal(a: TensorLike, b: TensorLike): Tensor { return comparison("equal", a, b); }
/** 1 where a ≠ b, else 0. */
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return comparison("notEqual", a, b);
}

/**
 * Picks a where `condition` is non-zero and b elsewhere, broadcasting all three. The
 * gradient goes to a where the condition holds and to b elsewhere; none to the condition.
 * @example where(x.greater(0), x, x.mul(0.1)) // a leaky relu
 */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const cond = checkTensor("where", "condition", condition);
  const [x, y] = operands("where", a, b);
  const shape = broadcastShapes("where", cond.shape, x.shape, y.shape);
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().select({
    cond: cond.data, a: x.data, b: y.data, out: data, shape,
    condStrides: broadcastStrides(cond.shape, shape), aStrides: broadcastStrides(x.shape, shape),
    bStrides: broadcastStrides(y.shape, shape),
  });
  return record("where", [x, y], data, shape, (dy) => {
    const zero = zerosLike(dy);
    return [
      x.requiresGrad ? sumToShape(where(cond, dy, zero), x.shape) : null,
      y.requiresGrad ? sumToShape(where(cond, zero, dy), y.shape) : null,
    ];
  });
}
