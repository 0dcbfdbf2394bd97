// Turning numbers into tensors, dtype promotion (astype), the backward seed and the checks
// ops share on their tensor arguments.
import { type DType, allocate, checkDType, promoteTypes } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { isReleased, releasedError } from "../kernels/released.js";
import { ShapeError, formatShape, shapesEqual, sizeOf } from "../shape.js";
import { record } from "../tape.js";
import { Tensor } from "../tensor.js";

/** A tensor, or a plain number that becomes a scalar of the other operand's dtype. */
export type TensorLike = Tensor | number;

/** A scalar tensor of `dtype` holding `value`; refuses NaN and ±Infinity. */
export function scalarOperand(op: string, role: string, value: number, dtype: DType): Tensor {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      `${op}: ${role} must be a finite number or a Tensor; got ${String(value)}`,
    );
  }
  return constant(dtype, value, []);
}

/** A tensor of `shape` filled with `value` by the backend (a trace replays the fill). */
function constant(dtype: DType, value: number, shape: readonly number[]): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  getBackend().fill({ out: data, value });
  return new Tensor(data, shape);
}

/** A copy of x's data in new storage, made by the backend: `Tensor.clone`. */
export function copyOf(x: Tensor): Tensor {
  const data = allocate(x.dtype, x.size);
  getBackend().copy({ x: x.data, out: data });
  return new Tensor(data, x.shape);
}

export function checkTensor(op: string, role: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${op}: ${role} must be a Tensor; got ${describeValue(value)}`);
  }
  if (isReleased(value.data)) throw releasedError(`${op}: ${role}`);
  return value;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "an array (wrap it with tensor())";
  return value === null ? "null" : typeof value;
}

/**
 * Both operands of a binary op as tensors of one dtype. Numbers take the tensor's dtype;
 * mixed float32/float64 promotes to float64 through `astype`, so gradients flow back narrow.
 */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === "number" && typeof b === "number") {
    return [scalarOperand(op, "a", a, "float32"), scalarOperand(op, "b", b, "float32")];
  }
  if (typeof a === "number") {
    const tb = checkTensor(op, "b", b);
    return [scalarOperand(op, "a", a, tb.dtype), tb];
  }
  const ta = checkTensor(op, "a", a);
  if (typeof b === "number") return [ta, scalarOperand(op, "b", b, ta.dtype)];
  const tb = checkTensor(op, "b", b);
  const dtype = promoteTypes(ta.dtype, tb.dtype);
  return [astype(ta, dtype), astype(tb, dtype)];
}

/**
 * Converts to `dtype` (a copy); the same tensor when it already has it. The gradient is
 * converted back to the input's dtype.
 */
export function astype(x: Tensor, dtype: DType): Tensor {
  checkDType("astype", dtype);
  if (x.dtype === dtype) return x;
  const data = allocate(dtype, x.size);
  getBackend().copy({ x: x.data, out: data });
  return record("astype", [x], data, x.shape, (dy) => [astype(dy, x.dtype)]);
}

/** The cotangent that seeds backward from `y`: ones for a scalar, else the caller's. */
export function cotangentFor(op: string, y: Tensor, gradient: TensorLike | undefined): Tensor {
  if (gradient === undefined) {
    if (y.size !== 1) {
      throw new ShapeError(
        `${op}: output has shape ${formatShape(y.shape)}; a non-scalar output needs a gradient ` +
          "argument of the same shape (or reduce it first, e.g. .sum())",
      );
    }
    return constant(y.dtype, 1, y.shape);
  }
  const g = typeof gradient === "number"
    ? scalarOperand(op, "gradient", gradient, y.dtype)
    : gradient;
  if (!shapesEqual(g.shape, y.shape)) {
    throw new ShapeError(
      `${op}: gradient has shape ${formatShape(g.shape)} ` +
        `but the output has ${formatShape(y.shape)}`,
    );
  }
  return astype(g.detach(), y.dtype).detach();
}

/** Float32 holds every integer up to 2^24 exactly; past it, an index could name the wrong row. */
export function checkIndexRange(op: string, indices: Tensor, count: number, what: string): void {
  if (indices.dtype === "float32" && count > 2 ** 24) {
    throw new RangeError(
      `${op}: float32 indices address at most 2^24 ${what}; got ${count}; use float64 indices`);
  }
}
