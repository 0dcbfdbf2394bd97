// Shape ops: reshape and flatten (share data), permute/transpose (copies), squeeze, unsqueeze.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import {
  ShapeError, describeArgument, formatShape, normalizeAxis, shapesEqual, sizeOf, stridesOf,
} from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { checkTensor } from "./convert.js";

/**
 * The same elements under a new shape; one dimension may be -1 to infer it. Shares the
 * data (no copy).
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor("reshape", "x", x);
  const target = inferShape(x, shape);
  if (shapesEqual(target, x.shape)) return x;
  return record("reshape", [x], x.data, target, (dy) => [reshape(dy, x.shape)]);
}

function inferShape(x: Tensor, shape: readonly number[]): number[] {
  const fail = (why: string) =>
    new ShapeError(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ` +
      `${formatShape(shape)}; ${why}`);
  if (!Array.isArray(shape)) {
    throw new TypeError("reshape: the shape must be an array of sizes, e.g. reshape([3, 2]); " +
      `got ${describeArgument(shape)}`);
  }
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw fail("only one dimension may be -1");
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw fail("dimensions must be integers ≥ 0 or -1");
  }
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (unknown === 1) {
    if (known === 0 || x.size % known !== 0) throw fail(`${x.size} is not a multiple of ${known}`);
    return shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (known !== x.size) throw fail(`the element counts differ (${x.size} vs ${known})`);
  return [...shape];
}

/**
 * Reorders the axes: output axis i is input axis perm[i]. Copies into row-major order.
 * @example permute(x, [0, 2, 1]) // [b, m, n] → [b, n, m]
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor("permute", "x", x);
  if (!Array.isArray(perm)) {
    throw new TypeError("permute: perm must be an array of axes, e.g. permute([1, 0]); got " +
      describeArgument(perm));
  }
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new ShapeError(
      `permute: perm must be a permutation of 0..${x.rank - 1} ` +
        `for shape ${formatShape(x.shape)}; got [${perm.join(", ")}]`,
    );
  }
  if (perm.every((p, i) => p === i)) return x;
  const strides = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const data = allocate(x.dtype, x.size);
  getBackend().stridedCopy({
    x: x.data, offset: 0, strides: perm.map((p) => strides[p]), out: data, shape,
  });
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record("permute", [x], data, shape, (dy) => [permute(dy, inverse)]);
}

/** Swaps two axes (by default the last two: the matrix transpose). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor("transpose", "x", x);
  if (x.rank < 2 && axis0 === -2 && axis1 === -1) {
    throw new ShapeError(
      `transpose: needs rank ≥ 2 to swap the last two axes; got ${formatShape(x.shape)}`,
    );
  }
  const a = normalizeAxis("transpose", axis0, x.rank);
  const b = normalizeAxis("transpose", axis1, x.rank);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Removes `axis` (which must have size 1), or every size-1 axis when omitted. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  checkTensor("squeeze", "x", x);
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normalizeAxis("squeeze", axis, x.rank);
  if (x.shape[d] !== 1) {
    throw new ShapeError(
      `squeeze: axis ${axis} has size ${x.shape[d]}, not 1, in ${formatShape(x.shape)}`,
    );
  }
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

/** Inserts a size-1 axis at `axis` (in the result's numbering, -1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor("unsqueeze", "x", x);
  const d = normalizeAxis("unsqueeze", axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/**
 * Joins axes startDim..endDim (inclusive; negative counts from the end) into one, as
 * torch.flatten. Shares the data.
 * @example flatten(x, 1) // [64, 32, 7, 7] → [64, 1568]
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor("flatten", "x", x);
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis("flatten", startDim, x.rank);
  const end = normalizeAxis("flatten", endDim, x.rank);
  if (start > end) {
    throw new ShapeError(
      `flatten: startDim ${startDim} comes after endDim ${endDim} for ${formatShape(x.shape)}`);
  }
  const joined = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, start), joined, ...x.shape.slice(end + 1)]);
}
