// dy times a ReLU-family mask read off a tensor, as one kernel: the backward of relu, of
// leakyRelu and of the fused dense and convolution epilogues.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * dy · act'(z) with the mask read off y (1 where y > 0, else slope; NaN as `nanAsPositive`
 * says). Linear in dy, and the mask is piecewise constant, so its own vjp is the same product.
 */
export function leakyStepMul(
  dy: Tensor, y: Tensor, slope: number, nanAsPositive: boolean,
): Tensor {
  const data = allocate(dy.dtype, dy.size);
  getBackend().leakyStepMul({ dy: dy.data, y: y.data, out: data, slope, nanAsPositive });
  return record("leakyStepMul", [dy], data, dy.shape, (g) => [
    leakyStepMul(g, y, slope, nanAsPositive),
  ]);
}

