// Pooling: maxPool2d, avgPool2d and globalAvgPool2d, NCHW as PyTorch.
import { allocate } from "../dtype.js";
import type { PoolGeometry } from "../kernels/pool.js";
import { getBackend } from "../kernels/backend.js";
import { installPoolKernels } from "../kernels/cnn-install.js";
import { ShapeError, formatShape } from "../shape.js";
import { checkOptions } from "../options.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import {
  type AvgPool2dOptions, type MaxPool2dOptions, poolGeometry,
} from "./conv-options.js";
import { checkTensor } from "./convert.js";
import { mean } from "./reduce.js";

export type { AvgPool2dOptions, MaxPool2dOptions, Pool2dOptions } from "./conv-options.js";

// The kernels these ops run on join the backends only where the ops are used.
installPoolKernels();

const MAX_KEYS = ["kernelSize", "stride", "padding", "dilation", "ceilMode"];
const AVG_KEYS = ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad"];

const outShape = (x: Tensor, g: PoolGeometry): number[] => [x.shape[0], x.shape[1], g.oh, g.ow];

/**
 * The maximum of each window: x [n, c, h, w] → [n, c, oh, ow] (sizes as PyTorch's MaxPool2d;
 * padding counts as −∞). The gradient goes to one position per window: the first of tied
 * maxima, or the window's last NaN, which also becomes the output.
 * @example maxPool2d(x, { kernelSize: 2 }) // [64, 16, 28, 28] → [64, 16, 14, 14]
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  checkTensor("maxPool2d", "x", x);
  const g = poolGeometry("maxPool2d", x, options, MAX_KEYS);
  // Positions are stored as values of x's dtype: float32 holds integers exactly to 2^24.
  if (x.dtype === "float32" && g.h * g.w > 2 ** 24) {
    throw new RangeError(
      `maxPool2d: float32 planes hold at most 2^24 positions; got ${g.h}×${g.w}; use float64`);
  }
  const size = g.planes * g.oh * g.ow;
  const out = allocate(x.dtype, size);
  const indices = allocate(x.dtype, size);
  getBackend().maxPool2d({ x: x.data, out, indices, geometry: g });
  return record("maxPool2d", [x], out, outShape(x, g), (dy) => [
    maxPoolScatter(dy, indices, g, x.shape),
  ]);
}

/** dy sent back to the stored positions (zeros elsewhere; overlapping windows add). */
function maxPoolScatter(
  dy: Tensor, indices: Float32Array | Float64Array, g: PoolGeometry, shape: readonly number[],
): Tensor {
  const dx = allocate(dy.dtype, g.planes * g.h * g.w);
  getBackend().maxPool2dBackward({ dy: dy.data, indices, dx, geometry: g });
  return record("maxPool2dBackward", [dy], dx, shape, (gx) => [
    maxPoolGather(gx, indices, g, dy.shape),
  ]);
}

/** x read at the stored positions: the adjoint of the scatter. */
function maxPoolGather(
  x: Tensor, indices: Float32Array | Float64Array, g: PoolGeometry, shape: readonly number[],
): Tensor {
  const out = allocate(x.dtype, g.planes * g.oh * g.ow);
  getBackend().maxPool2dGather({ x: x.data, indices, out, geometry: g });
  return record("maxPool2dGather", [x], out, shape, (gy) => [
    maxPoolScatter(gy, indices, g, x.shape),
  ]);
}

/**
 * The mean of each window: x [n, c, h, w] → [n, c, oh, ow], as PyTorch's AvgPool2d: with
 * `countIncludePad` (default true) padded positions count in the divisor.
 * @example avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false })
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  checkTensor("avgPool2d", "x", x);
  const g = poolGeometry("avgPool2d", x, options, AVG_KEYS);
  const countIncludePad = options.countIncludePad ?? true;
  if (typeof countIncludePad !== "boolean") {
    throw new TypeError(
      `avgPool2d: countIncludePad must be a boolean; got ${String(countIncludePad)}`);
  }
  return averages(x, g, countIncludePad);
}

function averages(x: Tensor, g: PoolGeometry, countIncludePad: boolean): Tensor {
  const out = allocate(x.dtype, g.planes * g.oh * g.ow);
  getBackend().avgPool2d({ x: x.data, out, geometry: g, countIncludePad });
  return record("avgPool2d", [x], out, outShape(x, g), (dy) => [
    averagesBack(dy, g, countIncludePad, x.shape),
  ]);
}

/** The gradient of `averages`: linear in dy, so its own vjp is `averages` again. */
function averagesBack(
  dy: Tensor, g: PoolGeometry, countIncludePad: boolean, shape: readonly number[],
): Tensor {
  const dx = allocate(dy.dtype, g.planes * g.h * g.w);
  getBackend().avgPool2dBackward({ dy: dy.data, dx, geometry: g, countIncludePad });
  return record("avgPool2dBackward", [dy], dx, shape, (gx) => [averages(gx, g, countIncludePad)]);
}

/**
 * The mean over each channel's plane: x [n, c, h, w] → [n, c] (or [n, c, 1, 1] with keepdims,
 * as PyTorch's AdaptiveAvgPool2d(1)).
 */
export function globalAvgPool2d(x: Tensor, options: { keepdims?: boolean } = {}): Tensor {
  checkTensor("globalAvgPool2d", "x", x);
  checkOptions("globalAvgPool2d", options, ["keepdims"]);
  if (x.rank !== 4) {
    throw new ShapeError(
      `globalAvgPool2d: input must be [batch, channels, height, width]; got ` +
        formatShape(x.shape));
  }
  return mean(x, [2, 3], options.keepdims ?? false);
}
