// Data-movement kernels: strided copies (permute, broadcast, slice), row gather and scatter,
// one-hot rows, dtype copies and fills.
import type {
  CopyArgs, FillArgs, GatherRowsArgs, OneHotArgs, ScatterAddRowsArgs, StridedAddArgs,
  StridedCopyArgs,
} from "./contract.js";
import { checkIndices } from "./indices.js";

/**
 * out[i] = x[offset + Σ index_d · strides_d] for every index of `shape` in row-major order.
 * With permuted strides this transposes; with zero strides it broadcasts; with an offset
 * and the source's strides it slices.
 */
export function stridedCopy({ x, offset, strides, out, shape }: StridedCopyArgs): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[offset];
    return;
  }
  const inner = shape[rank - 1];
  const s = strides[rank - 1];
  const outer = out.length / Math.max(inner, 1);
  const index = new Array<number>(rank).fill(0);
  let xo = offset;
  for (let run = 0; run < outer; run++) {
    const oo = run * inner;
    if (s === 1) for (let i = 0; i < inner; i++) out[oo + i] = x[xo + i];
    else for (let i = 0; i < inner; i++) out[oo + i] = x[xo + i * s];
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      xo += strides[d];
      if (index[d] < shape[d]) break;
      xo -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** The inverse of `stridedCopy`: out[offset + Σ index_d · strides_d] += src[i]. */
export function stridedAdd({ src, out, offset, strides, shape }: StridedAddArgs): void {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let oo = offset;
  for (let i = 0; i < src.length; i++) {
    out[oo] += src[i];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      oo += strides[d];
      if (index[d] < shape[d]) break;
      oo -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** out row r = x row indices[r], rows of `rowSize` elements, after checking the indices. */
export function gatherRows({ caller, x, rows, rowSize, indices, out }: GatherRowsArgs): void {
  checkIndices(caller, indices, rows);
  if (rowSize >= 64) {
    // Long rows: a memcpy per row beats a loop (rows come from anywhere in a large x).
    for (let r = 0; r < indices.length; r++) {
      const from = indices[r] * rowSize;
      out.set(x.subarray(from, from + rowSize), r * rowSize);
    }
    return;
  }
  // Short rows: a subarray per row costs more than the copy.
  for (let r = 0, o = 0; r < indices.length; r++) {
    const from = indices[r] * rowSize;
    for (let i = 0; i < rowSize; i++, o++) out[o] = x[from + i];
  }
}

/** out row indices[r] += src row r; repeated indices accumulate. Checks the indices first. */
export function scatterAddRows(
  { caller, src, rowSize, rows, indices, out }: ScatterAddRowsArgs,
): void {
  checkIndices(caller, indices, rows);
  for (let r = 0; r < indices.length; r++) {
    const to = indices[r] * rowSize;
    const from = r * rowSize;
    for (let i = 0; i < rowSize; i++) out[to + i] += src[from + i];
  }
}

/** out: [indices.length, classes], a 1 at each row's index and 0 elsewhere. */
export function oneHot({ caller, indices, classes, out }: OneHotArgs): void {
  checkIndices(caller, indices, classes);
  out.fill(0);
  for (let r = 0; r < indices.length; r++) out[r * classes + indices[r]] = 1;
}

/** out[i] = x[i], converting dtype (a float32 out rounds each value once). */
export function copy({ x, out }: CopyArgs): void {
  out.set(x);
}

/** out[i] = value. */
export function fill({ out, value }: FillArgs): void {
  out.fill(value);
}
