// Options of the convolution and pooling ops, checked and resolved into kernel geometries with
// PyTorch's rules (output sizes, "same" padding, ceil mode), and errors naming the numbers.
import type { ConvGeometry } from "../kernels/conv.js";
import type { PoolGeometry } from "../kernels/pool.js";
import { checkOptions } from "../options.js";
import { ShapeError, formatShape } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** A size per spatial axis, or one size for all of them. */
export type Size2 = number | readonly [number, number];

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Step between output positions (default 1). */
  readonly stride?: Size2;
  /**
   * Zeros added on each side (default 0), "valid" (0), or "same": the output keeps the input's
   * size (stride 1 only, as in PyTorch; an odd total goes one more to the bottom/right).
   */
  readonly padding?: Size2 | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: Size2;
  /** Channel groups (default 1): each group of c/groups inputs feeds k/groups outputs. */
  readonly groups?: number;
  /** Applied after the bias, fused into the kernel: "identity" (default) or "relu". */
  readonly activation?: "identity" | "relu";
}

export const CONV_KEYS = ["stride", "padding", "dilation", "groups", "activation"] as const;

/** A positive (or, with `zero`, non-negative) integer per axis; throws naming the option. */
function pair(op: string, name: string, value: Size2 | undefined, fallback: number, zero = false,
  axes = 2): [number, number] {
  const v = value ?? fallback;
  const list = typeof v === "number" ? new Array<number>(axes).fill(v) : [...v];
  const ok = list.length === axes &&
    list.every((d) => Number.isInteger(d) && (zero ? d >= 0 : d >= 1));
  if (!ok) {
    const what = zero ? "non-negative integers" : "positive integers";
    const form = axes === 1 ? "a number" : `a number or [${"n, ".repeat(axes - 1)}n]`;
    throw new RangeError(
      `${op}: ${name} must be ${form} of ${what}; got ${JSON.stringify(value)}`);
  }
  return axes === 1 ? [1, list[0]] : [list[0], list[1]];
}

/**
 * The geometry of `op` (conv2d, or conv1d through a height-1 view with `axes` 1) for input x
 * [n, c, h, w] and weight [k, c/groups, kh, kw], checking every option and shape.
 */
export function convGeometry(
  op: string, x: Tensor, weight: Tensor, options: Conv2dOptions, axes: 1 | 2 = 2,
  shown: { x: readonly number[]; weight: readonly number[] } = { x: x.shape, weight: weight.shape },
): ConvGeometry {
  checkOptions(op, options, CONV_KEYS);
  const names = axes === 2 ? "[batch, channels, height, width]" : "[batch, channels, length]";
  if (x.rank !== 4) {
    throw new ShapeError(`${op}: input must be ${names}; got ${formatShape(shown.x)}`);
  }
  const wNames = axes === 2 ? "[out, in/groups, kh, kw]" : "[out, in/groups, kw]";
  if (weight.rank !== 4) {
    throw new ShapeError(`${op}: weight must be ${wNames}; got ${formatShape(shown.weight)}`);
  }
  const [n, c, h, w] = x.shape;
  const [k, cg, kh, kw] = weight.shape;
  if (weight.shape.some((d) => d < 1) || c < 1) {
    throw new ShapeError(
      `${op}: weight ${formatShape(shown.weight)} and input ${formatShape(shown.x)} need ` +
        "non-empty channel and kernel dimensions");
  }
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new RangeError(`${op}: groups must be a positive integer; got ${String(groups)}`);
  }
  if (c % groups !== 0 || k % groups !== 0) {
    throw new ShapeError(
      `${op}: groups ${groups} must divide the input channels ${c} and the output channels ${k}`);
  }
  if (cg !== c / groups) {
    throw new ShapeError(
      `${op}: weight ${formatShape(shown.weight)} needs in/groups = ${c} / ${groups} = ` +
        `${c / groups} in its second dimension, for input ${formatShape(shown.x)}`);
  }
  const [sh, sw] = pair(op, "stride", options.stride, 1, false, axes);
  const [dh, dw] = pair(op, "dilation", options.dilation, 1, false, axes);
  let pads: [number, number, number, number];
  const padding = options.padding ?? 0;
  if (padding === "same") {
    if (sh !== 1 || sw !== 1) {
      throw new RangeError(
        `${op}: padding "same" needs stride 1 (as in PyTorch); got stride ` +
          JSON.stringify(options.stride));
    }
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    const [top, left] = [Math.floor(th / 2), Math.floor(tw / 2)];
    pads = [top, th - top, left, tw - left];
  } else if (padding === "valid") {
    pads = [0, 0, 0, 0];
  } else {
    const [ph, pw] = pair(op, "padding", padding as Size2, 0, true, axes);
    const pv = axes === 1 ? 0 : ph;
    pads = [pv, pv, pw, pw];
  }
  const [pt, pb, pl, pr] = pads;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) {
    const input = axes === 2 ? `${h}×${w}` : `length ${w}`;
    const kernel = axes === 2
      ? `${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1}`
      : `${dw * (kw - 1) + 1}`;
    throw new ShapeError(
      `${op}: the output would be empty: input ${formatShape(shown.x)} (${input} plus padding ` +
        `${axes === 2 ? `[${pt}, ${pb}, ${pl}, ${pr}]` : `[${pl}, ${pr}]`}) against the ` +
        `dilated kernel ${kernel}`);
  }
  return { n, c, h, w, k, groups, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, oh, ow };
}

/** Options of `maxPool2d` and `avgPool2d`. */
export interface Pool2dOptions {
  /** Window size (required). */
  readonly kernelSize: Size2;
  /** Step between windows (default: the window size). */
  readonly stride?: Size2;
  /** Implicit padding on each side, at most half the window (default 0). */
  readonly padding?: Size2;
  /** Round the output size up: a last, partial window that starts inside the input counts. */
  readonly ceilMode?: boolean;
}

/** Options of `maxPool2d`. */
export interface MaxPool2dOptions extends Pool2dOptions {
  /** Spacing between window taps (default 1). */
  readonly dilation?: Size2;
}

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded positions in each window's divisor (default true, as PyTorch). */
  readonly countIncludePad?: boolean;
}

/** PyTorch's pooling output size along one axis. */
function pooledSize(
  size: number, k: number, s: number, p: number, d: number, ceil: boolean,
): number {
  const span = size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let out = Math.floor(span / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** The geometry of a 2-D pooling of x [n, c, h, w], checking the options (PyTorch's rules). */
export function poolGeometry(
  op: string, x: Tensor, options: MaxPool2dOptions & AvgPool2dOptions, keys: readonly string[],
): PoolGeometry {
  if (options === undefined || options === null || typeof options !== "object") {
    throw new TypeError(`${op}: options must be an object with kernelSize; got ${String(options)}`);
  }
  checkOptions(op, options, keys);
  if (x.rank !== 4) {
    throw new ShapeError(
      `${op}: input must be [batch, channels, height, width]; got ${formatShape(x.shape)}`);
  }
  if (options.kernelSize === undefined) throw new RangeError(`${op}: kernelSize is required`);
  const [kh, kw] = pair(op, "kernelSize", options.kernelSize, 1);
  const [sh, sw] = pair(op, "stride", options.stride ?? options.kernelSize, 1);
  const [pt, pl] = pair(op, "padding", options.padding, 0, true);
  const [dh, dw] = pair(op, "dilation", options.dilation, 1);
  if (2 * pt > kh || 2 * pl > kw) {
    throw new RangeError(
      `${op}: padding must be at most half the kernel size; got padding [${pt}, ${pl}] ` +
        `for kernelSize [${kh}, ${kw}]`);
  }
  const ceil = options.ceilMode ?? false;
  if (typeof ceil !== "boolean") {
    throw new TypeError(`${op}: ceilMode must be a boolean; got ${String(ceil)}`);
  }
  const [n, c, h, w] = x.shape;
  const oh = pooledSize(h, kh, sh, pt, dh, ceil);
  const ow = pooledSize(w, kw, sw, pl, dw, ceil);
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `${op}: the output would be empty: input ${formatShape(x.shape)} with padding ` +
        `[${pt}, ${pl}] is smaller than the window ${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1}`);
  }
  return { planes: n * c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl };
}
