// Matrix products: 2-D, batched N-d with broadcast batch axes, and transposed layouts.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import {
  ShapeError, broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf,
} from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { sumToShape } from "./broadcast.js";
import { checkTensor, operands } from "./convert.js";
import { reshape } from "./shape.js";

/**
 * Matrix product with NumPy's rules: a: [..., m, k] @ b: [..., k, n] → [..., m, n], batch
 * axes broadcast; a 1-D a is a row vector and a 1-D b a column vector (that axis is
 * dropped from the result).
 * @example matmul(x, w) // x: [batch, 784], w: [784, 128] → [batch, 128]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor("matmul", "a", a);
  checkTensor("matmul", "b", b);
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matmul: operands must have rank ≥ 1; a is ${formatShape(a.shape)}, ` +
        `b is ${formatShape(b.shape)}`,
    );
  }
  const [x, y] = operands("matmul", a, b);
  const x2 = x.rank === 1 ? reshape(x, [1, x.shape[0]]) : x;
  const y2 = y.rank === 1 ? reshape(y, [y.shape[0], 1]) : y;
  const product = matmulTransposed(x2, y2, false, false, a.shape, b.shape);
  if (x.rank > 1 && y.rank > 1) return product;
  const shape = product.shape.slice(0, -2);
  if (x.rank > 1) shape.push(product.shape[product.rank - 2]);
  if (y.rank > 1) shape.push(product.shape[product.rank - 1]);
  return reshape(product, shape);
}

/**
 * op(a) @ op(b) where op transposes the last two axes when its flag is set — the layouts
 * backward needs (dx = dy·wᵀ, dw = xᵀ·dy) without materialising a transpose. Both
 * operands need rank ≥ 2.
 */
export function matmulTransposed(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  shownA: readonly number[] = a.shape,
  shownB: readonly number[] = b.shape,
): Tensor {
  const [x, y] = operands("matmul", a, b);
  if (x.rank < 2 || y.rank < 2) {
    throw new ShapeError(
      `matmul: transposed layouts need rank ≥ 2; a is ${formatShape(x.shape)}, ` +
        `b is ${formatShape(y.shape)}`,
    );
  }
  const m = x.shape[x.rank - (transA ? 1 : 2)];
  const k = x.shape[x.rank - (transA ? 2 : 1)];
  const kB = y.shape[y.rank - (transB ? 1 : 2)];
  const n = y.shape[y.rank - (transB ? 2 : 1)];
  if (k !== kB) {
    const t = (flag: boolean) => (flag ? "ᵀ" : "");
    throw new ShapeError(
      `matmul: inner dimensions differ; a${t(transA)} is ${formatShape(shownA)}, ` +
        `b${t(transB)} is ${formatShape(shownB)}`,
    );
  }
  const batchA = x.shape.slice(0, -2);
  const batchB = y.shape.slice(0, -2);
  const batch = broadcastShapes("matmul", batchA, batchB);
  const shape = [...batch, m, n];
  const data = allocate(x.dtype, sizeOf(shape));
  const backend = getBackend();
  const count = sizeOf(batch);
  if (count === 1) backend.matmul({ a: x.data, b: y.data, out: data, m, k, n, transA, transB });
  else {
    const stridesA = broadcastStrides(batchA, batch);
    const stridesB = broadcastStrides(batchB, batch);
    const unit = stridesOf(batch);
    for (let i = 0; i < count; i++) {
      let offsetA = 0;
      let offsetB = 0;
      for (let d = 0; d < batch.length; d++) {
        const index = Math.floor(i / unit[d]) % batch[d];
        offsetA += index * stridesA[d];
        offsetB += index * stridesB[d];
      }
      backend.matmul({
        a: x.data, b: y.data, out: data, m, k, n, transA, transB,
        aOffset: offsetA * m * k, bOffset: offsetB * k * n, outOffset: i * m * n,
      });
    }
  }
  return record("matmul", [x, y], data, shape, (dy) => {
    // C = op(A)·op(B): dA and dB in whichever layout avoids an explicit transpose.
    const dA = !x.requiresGrad ? null : transA
      ? matmulTransposed(y, dy, transB, true)
      : matmulTransposed(dy, y, false, !transB);
    const dB = !y.requiresGrad ? null : transB
      ? matmulTransposed(dy, x, true, transA)
      : matmulTransposed(x, dy, !transA, false);
    return [dA && sumToShape(dA, x.shape), dB && sumToShape(dB, y.shape)];
  });
}
