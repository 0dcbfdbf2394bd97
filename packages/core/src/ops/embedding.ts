// Lookups by integer values held in a tensor, read by kernels when they run (so a compiled step
// uses each call's indices): embedding rows and class-target distributions.
import { type DType, allocate, checkDType } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { installLookupKernels } from "../kernels/cnn-install.js";
import { checkOptions } from "../options.js";
import { ShapeError, formatShape, normalizeAxis, sizeOf } from "../shape.js";
import { record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkTensor } from "./convert.js";

// The kernels these ops run on join the backends only where the ops are used.
installLookupKernels();

/** Float32 holds every integer up to 2^24 exactly; past it, an index could name the wrong row. */
function checkIndexRange(op: string, indices: Tensor, count: number, what: string): void {
  if (indices.dtype === "float32" && count > 2 ** 24) {
    throw new RangeError(
      `${op}: float32 indices address at most 2^24 ${what}; got ${count}; use float64 indices`);
  }
}

/**
 * Rows of `table` [rows, dim] picked by `indices` (a tensor of integer values, any shape) →
 * [...indices.shape, dim], as PyTorch's embedding. The gradient adds each output row back into
 * its table row (repeated indices accumulate); indices get none. An index that is not an
 * integer in [0, rows) is an error when the kernel reads it.
 * @example embedding(tokens, table) // tokens [batch, 12], table [1000, 64] → [batch, 12, 64]
 */
export function embedding(indices: Tensor, table: Tensor): Tensor {
  checkTensor("embedding", "indices", indices);
  checkTensor("embedding", "table", table);
  if (table.rank !== 2) {
    throw new ShapeError(`embedding: table must be [rows, dim]; got ${formatShape(table.shape)}`);
  }
  const [rows, dim] = table.shape;
  checkIndexRange("embedding", indices, rows, "rows");
  const out = allocate(table.dtype, indices.size * dim);
  getBackend().embedding({ table: table.data, indices: indices.data, out, rows, dim });
  return record("embedding", [table], out, [...indices.shape, dim], (dy) => [
    embeddingBackward(dy, indices, rows, dim),
  ]);
}

/** dTable: dy's rows added into zeros at `indices`; linear in dy (its vjp is the lookup). */
function embeddingBackward(dy: Tensor, indices: Tensor, rows: number, dim: number): Tensor {
  const dTable = allocate(dy.dtype, rows * dim);
  getBackend().embeddingBackward({ dy: dy.data, indices: indices.data, dTable, rows, dim });
  return record("embeddingBackward", [dy], dTable, [rows, dim], (g) => [
    embedding(indices, g),
  ]);
}

/** Options of `classProbabilities`. */
export interface ClassProbabilitiesOptions {
  /** Where the class axis goes in the result (default 1; negative counts from the end). */
  readonly axis?: number;
  /** ε in [0, 1]: the label's class gets 1 − ε + ε/C, every other ε/C (default 0). */
  readonly labelSmoothing?: number;
  /** Default: the labels' dtype. */
  readonly dtype?: DType;
}

/**
 * Target distributions from class indices: labels [n, ...] (integer values) → the same shape
 * with a class axis of `numClasses` inserted at `axis`: one-hot, or label-smoothed. The kernel
 * reads the labels when it runs, so a compiled step uses each call's labels; a label that is
 * not an integer in [0, numClasses) is an error then. No gradient.
 * @example classProbabilities(labels, 10) // [64] → [64, 10]
 */
export function classProbabilities(
  labels: Tensor, numClasses: number, options: ClassProbabilitiesOptions = {},
): Tensor {
  checkTensor("classProbabilities", "labels", labels);
  checkOptions("classProbabilities", options, ["axis", "labelSmoothing", "dtype"]);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(
      `classProbabilities: numClasses must be a positive integer; got ${String(numClasses)}`);
  }
  checkIndexRange("classProbabilities", labels, numClasses, "classes");
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(
      `classProbabilities: labelSmoothing must be in [0, 1]; got ${String(smoothing)}`);
  }
  const dtype = checkDType("classProbabilities", options.dtype ?? labels.dtype);
  const axis = normalizeAxis("classProbabilities", options.axis ?? 1, labels.rank + 1);
  const shape = [...labels.shape];
  shape.splice(axis, 0, numClasses);
  const outer = sizeOf(labels.shape.slice(0, axis));
  const inner = sizeOf(labels.shape.slice(axis));
  const out = allocate(dtype, outer * numClasses * inner);
  getBackend().classProbabilities({
    labels: labels.data, out, outer, classes: numClasses, inner, smoothing,
  });
  return new Tensor(out, shape);
}
