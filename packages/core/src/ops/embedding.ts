// Embedding rows picked by integer values held in a tensor, read by the kernels when they run
// (so a compiled step uses each call's indices). Class-target distributions, the other lookup,
// are in class-probabilities.ts.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { installEmbeddingKernels } from "../kernels/cnn-install.js";
import { ShapeError, formatShape } from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { checkIndexRange, checkTensor } from "./convert.js";

// The kernels this op runs on join the backends only where it is used.
installEmbeddingKernels();

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
