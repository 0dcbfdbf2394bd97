// Convolutions: conv2d and conv1d (NCHW, PyTorch's weight layout), with their input- and
// weight-gradient products as ops of their own so that gradients of gradients work.
import { isAnomalyDetectionEnabled } from "../anomaly-mode.js";
import { type FloatArray, allocate } from "../dtype.js";
import type { ConvGeometry } from "../kernels/contract.js";
import { getBackend } from "../kernels/backend.js";
import { installConvKernels } from "../kernels/cnn-install.js";
import { ShapeError, describeNonTensor, formatShape } from "../shape.js";
import { record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { broadcastTo } from "./broadcast.js";
import { type Conv2dOptions, type Size2, convGeometry } from "./conv-options.js";
import { astype, checkTensor } from "./convert.js";
import { leakyStepMul } from "./step-mul.js";
import { reshape } from "./shape.js";
import { relu } from "./unary.js";

export type { Conv2dOptions } from "./conv-options.js";

// The kernels these ops run on join the backends only where the ops are used.
installConvKernels();

/**
 * 2-D convolution (cross-correlation, as PyTorch's conv2d): x [n, c, h, w], weight
 * [k, c/groups, kh, kw], bias [k] or null → [n, k, oh, ow], with
 * oh = ⌊(h + padding·2 − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise ow).
 * @example
 * conv2d(images, w, b, { padding: 2, activation: "relu" }) // [64, 1, 28, 28] → [64, 16, 28, 28]
 */
export function conv2d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {},
): Tensor {
  checkTensor("conv2d", "x", x);
  checkTensor("conv2d", "weight", weight);
  checkBias("conv2d", bias);
  const g = convGeometry("conv2d", x, weight, options);
  return convolve("conv2d", x, weight, bias, g, activationOf("conv2d", options));
}

/** An options record passed third, in bias's place (PyTorch's keyword habit), says so. */
function checkBias(op: string, bias: unknown): void {
  if (bias === null || bias === undefined || bias instanceof Tensor) return;
  const got = describeNonTensor(bias);
  const hint = got === "an object"
    ? ` (options come fourth, e.g. ${op}(x, weight, null, { padding: 1 }))` : "";
  throw new TypeError(`${op}: bias must be a Tensor or null; got ${got}${hint}`);
}

/** Options of `conv1d`: sizes are single numbers (the length axis). */
export interface Conv1dOptions {
  readonly stride?: number;
  readonly padding?: number | "same" | "valid";
  readonly dilation?: number;
  readonly groups?: number;
  readonly activation?: "identity" | "relu";
}

/**
 * 1-D convolution: x [n, c, length], weight [k, c/groups, kw], bias [k] or null →
 * [n, k, outLength], computed as conv2d on a height-1 view.
 * @example conv1d(signals, w, null, { padding: "same" }) // [8, 4, 100] → [8, k, 100]
 */
export function conv1d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dOptions = {},
): Tensor {
  checkTensor("conv1d", "x", x);
  checkTensor("conv1d", "weight", weight);
  checkBias("conv1d", bias);
  if (x.rank !== 3) {
    throw new ShapeError(
      `conv1d: input must be [batch, channels, length]; got ${formatShape(x.shape)}`);
  }
  if (weight.rank !== 3) {
    throw new ShapeError(
      `conv1d: weight must be [out, in/groups, kw]; got ${formatShape(weight.shape)}`);
  }
  const [n, c, length] = x.shape;
  const [k, cg, kw] = weight.shape;
  const x4 = reshape(x, [n, c, 1, length]);
  const w4 = reshape(weight, [k, cg, 1, kw]);
  const shown = { x: x.shape, weight: weight.shape };
  const g = convGeometry("conv1d", x4, w4, options as Conv2dOptions, 1, shown);
  const y = convolve("conv1d", x4, w4, bias, g, activationOf("conv1d", options));
  return reshape(y, [g.n, g.k, g.ow]);
}

function activationOf(op: string, options: { activation?: string }): boolean {
  const act = options.activation ?? "identity";
  if (act !== "identity" && act !== "relu") {
    throw new RangeError(
      `${op}: activation must be "identity" or "relu"; got ${JSON.stringify(act)}`);
  }
  return act === "relu";
}

/** The input padded for the kernels (x's own data when there is no padding). */
function padded(x: Tensor, g: ConvGeometry): FloatArray {
  if (g.pt === 0 && g.pb === 0 && g.pl === 0 && g.pr === 0) return x.data;
  const [hp, wp] = [g.h + g.pt + g.pb, g.w + g.pl + g.pr];
  const out = allocate(x.dtype, g.n * g.c * hp * wp);
  getBackend().padPlanes({
    x: x.data, out, planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt, left: g.pl,
    sh: 1, sw: 1,
  });
  return out;
}

/** The convolution op proper (shapes checked), recorded as `op`. */
function convolve(
  op: string, x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry, withRelu: boolean,
): Tensor {
  if (bias !== null) {
    checkTensor(op, "bias", bias);
    if (bias.rank !== 1 || bias.shape[0] !== g.k) {
      throw new ShapeError(`${op}: bias must be [${g.k}]; got ${formatShape(bias.shape)}`);
    }
  }
  // NOTE: anomaly mode names the first op that makes NaN/Inf, so it runs relu separately.
  if (withRelu && isAnomalyDetectionEnabled()) return relu(convolve(op, x, weight, bias, g, false));
  const dtype = [x, weight, bias].some((t) => t?.dtype === "float64") ? "float64" : "float32";
  const [xs, ws] = [astype(x, dtype), astype(weight, dtype)];
  const bs = bias === null ? null : astype(bias, dtype);
  const xPadded = padded(xs, g);
  const out = allocate(dtype, g.n * g.k * g.oh * g.ow);
  getBackend().conv2d({
    xPadded, weight: ws.data, bias: bs === null ? null : bs.data, out, geometry: g,
    relu: withRelu,
  });
  const inputs = bs === null ? [xs, ws] : [xs, ws, bs];
  const y = record(op, inputs, out, [g.n, g.k, g.oh, g.ow], (dy) => {
    // With relu, dz = dy where y > 0 or y is NaN, else 0 (the mask read off y, as relu's).
    const dz = withRelu ? leakyStepMul(dy, y, 0, true) : dy;
    return [
      xs.requiresGrad ? inputGrad(dz, ws, g) : null,
      ws.requiresGrad ? weightGrad(xs, dz, g, xPadded) : null,
      ...(bs === null ? [] : [bs.requiresGrad ? channelSum(dz) : null]),
    ];
  });
  return y;
}

/**
 * dx = the input gradient of the convolution `g` for output gradient dy and weight w. Linear in
 * each: its own vjp is the convolution (for dy) and the weight gradient (for w).
 */
function inputGrad(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const dx = allocate(dy.dtype, g.n * g.c * g.h * g.w);
  getBackend().conv2dInputGrad({ dy: dy.data, weight: w.data, dx, geometry: g });
  return record("conv2dInputGrad", [dy, w], dx, [g.n, g.c, g.h, g.w], (gx) => [
    dy.requiresGrad ? convolve("conv2d", gx, w, null, g, false) : null,
    w.requiresGrad ? weightGrad(gx, dy, g) : null,
  ]);
}

/**
 * dw = the weight gradient of the convolution `g` for input x and output gradient dy (x's
 * padded data when the forward pass made it). Bilinear: its vjp is the input gradient (for x)
 * and the convolution (for dy).
 */
function weightGrad(x: Tensor, dy: Tensor, g: ConvGeometry, xPadded?: FloatArray): Tensor {
  const cg = g.c / g.groups;
  const dw = allocate(dy.dtype, g.k * cg * g.kh * g.kw);
  getBackend().conv2dWeightGrad({
    xPadded: xPadded ?? padded(x, g), dy: dy.data, dw, geometry: g,
  });
  return record("conv2dWeightGrad", [x, dy], dw, [g.k, cg, g.kh, g.kw], (gw) => [
    x.requiresGrad ? inputGrad(dy, gw, g) : null,
    dy.requiresGrad ? convolve("conv2d", x, gw, null, g, false) : null,
  ]);
}

/** Σ over all axes but 1 of x [n, c, ...] → [c]: a convolution's bias gradient. */
function channelSum(x: Tensor): Tensor {
  const [n, c] = x.shape;
  const out = allocate(x.dtype, c);
  getBackend().channelSum({ x: x.data, out, n, c, inner: x.size / Math.max(n * c, 1) });
  const kept = x.shape.map((d, i) => (i === 1 ? d : 1));
  return record("channelSum", [x], out, [c], (dc) => [broadcastTo(reshape(dc, kept), x.shape)]);
}

export type { Size2 };
