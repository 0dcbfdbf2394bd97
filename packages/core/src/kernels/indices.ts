// Index checks for the kernels that take row indices (gather, scatter, oneHot). The indices may
// be a tensor's data, which only the kernel reads (at every replay of a compiled step), so the
// kernel checks them there: a bad index throws instead of reading outside x.
import type { IndexArray } from "./contract.js";

/**
 * Throws a RangeError naming `caller`, the position and the value unless every index is an
 * integer in [0, limit).
 * @example checkIndices("gather", indices, 60000)
 */
export function checkIndices(caller: string, indices: IndexArray, limit: number): void {
  if (indices instanceof Int32Array) {
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i];
      if (v < 0 || v >= limit) throw outOfRange(caller, v, i, limit);
    }
    return;
  }
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    // Also false for NaN: the one comparison covers range, integrality and NaN.
    if (!(v >= 0 && v < limit && v === Math.floor(v))) {
      if (!Number.isInteger(v)) {
        throw new RangeError(`${caller}: index ${v} at position ${i} is not an integer`);
      }
      throw outOfRange(caller, v, i, limit);
    }
  }
}

function outOfRange(caller: string, v: number, i: number, limit: number): RangeError {
  return new RangeError(`${caller}: index ${v} at position ${i} is out of range [0, ${limit})`);
}

/**
 * A copy of an index array given to op `caller` (not a tensor): a constant of the op, so a vjp
 * (and a compiled step) reads the indices as they were, whatever happens to the caller's array.
 * Int32Array stays Int32Array; other arrays become Float64Array, so a bad value (0.5, NaN) is
 * kept for the kernel's check instead of being truncated.
 */
export function copyIndices(caller: string, indices: unknown): IndexArray {
  if (indices instanceof Int32Array) return indices.slice();
  if (Array.isArray(indices) || indices instanceof Uint8Array) return Float64Array.from(indices);
  throw new TypeError(
    `${caller}: indices must be an array, an Int32Array, a Uint8Array or a Tensor; got ` +
      (indices === null ? "null" : typeof indices),
  );
}
