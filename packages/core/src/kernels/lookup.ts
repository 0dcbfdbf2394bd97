// Kernels that read integer indices out of tensor data when they run (so a replayed step uses
// the current indices): embedding rows, their gradient, and class-target distributions.
import type { FloatArray } from "../dtype.js";

/** The index at position i, checked to be an integer in [0, rows); throws naming `op`. */
function indexAt(op: string, indices: FloatArray, i: number, rows: number): number {
  const v = indices[i];
  if (!(Number.isInteger(v) && v >= 0 && v < rows)) {
    throw new RangeError(
      `${op}: index ${v} at position ${i} is not an integer in [0, ${rows})`);
  }
  return v;
}

/** Arguments of `embedding`. */
export interface EmbeddingArgs {
  /** [rows, dim] */
  readonly table: FloatArray;
  /** any shape, integer values */
  readonly indices: FloatArray;
  /** [indices.length, dim], overwritten */
  readonly out: FloatArray;
  readonly rows: number;
  readonly dim: number;
}

/** out row i = table row indices[i]; throws RangeError on an index that is not a valid row. */
export function embedding(a: EmbeddingArgs): void {
  const { table, indices, out, rows, dim } = a;
  for (let i = 0; i < indices.length; i++) {
    const from = indexAt("embedding", indices, i, rows) * dim;
    for (let d = 0; d < dim; d++) out[i * dim + d] = table[from + d];
  }
}

/** Arguments of `embeddingBackward`. */
export interface EmbeddingBackwardArgs {
  /** [indices.length, dim] */
  readonly dy: FloatArray;
  readonly indices: FloatArray;
  /** [rows, dim], overwritten */
  readonly dTable: FloatArray;
  readonly rows: number;
  readonly dim: number;
}

/** dTable = 0, then dTable row indices[i] += dy row i, in order (repeats accumulate). */
export function embeddingBackward(a: EmbeddingBackwardArgs): void {
  const { dy, indices, dTable, rows, dim } = a;
  dTable.fill(0, 0, rows * dim);
  for (let i = 0; i < indices.length; i++) {
    const to = indexAt("embedding", indices, i, rows) * dim;
    for (let d = 0; d < dim; d++) dTable[to + d] += dy[i * dim + d];
  }
}

/** Arguments of `classProbabilities`. */
export interface ClassProbabilitiesArgs {
  /** [outer, inner] class indices */
  readonly labels: FloatArray;
  /** [outer, classes, inner], overwritten */
  readonly out: FloatArray;
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
  /** ε in [0, 1]: the label gets 1 − ε + ε/classes, every other class ε/classes. */
  readonly smoothing: number;
}

/**
 * Target distributions from class indices along a class axis: 1 − ε + ε/C at the label, ε/C
 * elsewhere (exactly 1 and 0 when ε = 0). Throws RangeError on an invalid label.
 */
export function classProbabilities(a: ClassProbabilitiesArgs): void {
  const { labels, out, outer, classes, inner, smoothing } = a;
  const off = smoothing / classes;
  const on = 1 - smoothing + off;
  out.fill(off, 0, outer * classes * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const label = indexAt("classProbabilities", labels, o * inner + i, classes);
      out[(o * classes + label) * inner + i] = on;
    }
  }
}
