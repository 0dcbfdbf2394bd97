// broadcastTo and its adjoint sumToShape, which every broadcasting vjp uses.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import {
  ShapeError, broadcastShapes, broadcastStrides, checkShape, formatShape, shapesEqual, sizeOf,
} from "../shape.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "./shape.js";
import { sum } from "./reduce.js";

/**
 * Repeats x along broadcast axes to `shape` (NumPy rules). The gradient sums back.
 * @example broadcastTo(tensor([1, 2]), [3, 2]) // three rows of [1, 2]
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkShape("broadcastTo", shape);
  if (shapesEqual(x.shape, shape)) return x;
  const target = broadcastShapes("broadcastTo", x.shape, shape);
  if (!shapesEqual(target, shape)) {
    throw new ShapeError(
      `broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`,
    );
  }
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().stridedCopy({
    x: x.data, offset: 0, strides: broadcastStrides(x.shape, shape), out: data, shape,
  });
  return record("broadcastTo", [x], data, shape, (dy) => [sumToShape(dy, x.shape)]);
}

/**
 * Sums `g` over the axes that broadcasting added or stretched, so that it has `shape`.
 * The identity when the shapes already agree.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < g.shape.length; d++) {
    if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) axes.push(d);
  }
  return reshape(sum(g, axes, true), shape);
}
