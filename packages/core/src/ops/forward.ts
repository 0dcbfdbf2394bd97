// Forward helpers shared by the elementwise ops: run a kernel, get data and shape back.
import { allocate, type FloatArray } from "../dtype.js";
import type { BinaryKernel, UnaryKernel } from "../kernels/contract.js";
import { getBackend } from "../kernels/backend.js";
import { broadcastShapes, broadcastStrides, shapesEqual, sizeOf, stridesOf } from "../shape.js";
import { Tensor } from "../tensor.js";

/** Output of a kernel: the data and its shape, ready for `record` or a constant tensor. */
export interface Computed {
  readonly data: FloatArray;
  readonly shape: readonly number[];
}

/** Applies a unary kernel to x. */
export function mapData(kernel: UnaryKernel, x: Tensor, p = 0, q = 0): Computed {
  const data = allocate(x.dtype, x.size);
  getBackend().unary({ op: kernel, x: x.data, out: data, p, q });
  return { data, shape: x.shape };
}

/** Applies a binary kernel with broadcasting; `op` names the caller in errors. */
export function zipData(op: string, kernel: BinaryKernel, a: Tensor, b: Tensor): Computed {
  const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(op, a.shape, b.shape);
  const data = allocate(a.dtype, sizeOf(shape));
  const aStrides = shapesEqual(a.shape, shape)
    ? stridesOf(shape)
    : broadcastStrides(a.shape, shape);
  const bStrides = shapesEqual(b.shape, shape)
    ? stridesOf(shape)
    : broadcastStrides(b.shape, shape);
  getBackend().binary({ op: kernel, a: a.data, b: b.data, out: data, shape, aStrides, bStrides });
  return { data, shape };
}

/** A tensor off the tape (masks, indices): no gradient flows through it. */
export function constantTensor({ data, shape }: Computed): Tensor {
  return new Tensor(data, shape);
}
