// Pooling kernels in TypeScript: 2-D max pooling (with the argmax of each window) and average
// pooling, each with the backward pass that sends gradients back into the windows.
import type { FloatArray } from "../dtype.js";

/**
 * The sizes of a 2-D pooling over `planes` planes of [h, w] (n·c for NCHW): windows kh×kw
 * taken every sh, sw, dilated by dh, dw, starting pt rows and pl columns before the input,
 * giving [oh, ow] per plane.
 */
export interface PoolGeometry {
  readonly planes: number;
  readonly h: number; readonly w: number;
  readonly oh: number; readonly ow: number;
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
  readonly pt: number; readonly pl: number;
}

/** Arguments of `maxPool2d`. */
export interface MaxPool2dArgs {
  /** planes × [h, w] */
  readonly x: FloatArray;
  /** planes × [oh, ow], overwritten */
  readonly out: FloatArray;
  /** planes × [oh, ow], overwritten: the flat index i·w + j of each maximum in its plane */
  readonly indices: FloatArray;
  readonly geometry: PoolGeometry;
}

/**
 * The maximum of each window (positions outside the input are skipped), with PyTorch's choice
 * of index: the first of tied maxima, the last NaN if the window has one (NaN then wins), the
 * window's first position when every value is −∞; −1 (and −∞) for a window holding no input.
 */
export function maxPool2d(a: MaxPool2dArgs): void {
  const { x, out, indices, geometry: g } = a;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let y = 0; y < g.oh; y++) {
      const [i0, i1] = span(y * g.sh - g.pt, g.kh, g.dh, g.h);
      for (let xx = 0; xx < g.ow; xx++, o++) {
        const [j0, j1] = span(xx * g.sw - g.pl, g.kw, g.dw, g.w);
        let best = -Infinity;
        // A window with no input (possible with dilation) gives −∞ and no position.
        let at = i0 < i1 && j0 < j1 ? i0 * g.w + j0 : -1;
        for (let i = i0; i < i1; i += g.dh) {
          for (let j = j0; j < j1; j += g.dw) {
            const v = x[base + i * g.w + j];
            if (v > best || v !== v) {
              best = v;
              at = i * g.w + j;
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/**
 * The first valid position and the end of a window that starts at `start` with `size` taps
 * `step` apart over an axis of `length`: taps before 0 are skipped by whole steps.
 */
function span(start: number, size: number, step: number, length: number): [number, number] {
  const end = Math.min(start + (size - 1) * step + 1, length);
  let first = start;
  if (first < 0) first += Math.ceil(-first / step) * step;
  return [first, end];
}

/** Arguments of `maxPool2dBackward`. */
export interface MaxPool2dBackwardArgs {
  /** planes × [oh, ow] */
  readonly dy: FloatArray;
  /** planes × [oh, ow], from `maxPool2d` */
  readonly indices: FloatArray;
  /** planes × [h, w], overwritten */
  readonly dx: FloatArray;
  readonly geometry: PoolGeometry;
}

/**
 * dx = 0, then dx[p, indices[o]] += dy[o] for every output o with a position (overlapping
 * windows add up).
 */
export function maxPool2dBackward(a: MaxPool2dBackwardArgs): void {
  const { dy, indices, dx, geometry: g } = a;
  const inner = g.oh * g.ow;
  dx.fill(0, 0, g.planes * g.h * g.w);
  for (let p = 0, o = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let q = 0; q < inner; q++, o++) if (indices[o] >= 0) dx[base + indices[o]] += dy[o];
  }
}

/** Arguments of `maxPool2dGather`. */
export interface MaxPool2dGatherArgs {
  /** planes × [h, w] */
  readonly x: FloatArray;
  /** planes × [oh, ow], from `maxPool2d` */
  readonly indices: FloatArray;
  /** planes × [oh, ow], overwritten */
  readonly out: FloatArray;
  readonly geometry: PoolGeometry;
}

/** out[p, o] = x[p, indices[p, o]] (0 where there is none): the adjoint of the backward. */
export function maxPool2dGather(a: MaxPool2dGatherArgs): void {
  const { x, indices, out, geometry: g } = a;
  const inner = g.oh * g.ow;
  for (let p = 0, o = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let q = 0; q < inner; q++, o++) out[o] = indices[o] >= 0 ? x[base + indices[o]] : 0;
  }
}

/** Arguments of `avgPool2d`. */
export interface AvgPool2dArgs {
  /** planes × [h, w] */
  readonly x: FloatArray;
  /** planes × [oh, ow], overwritten */
  readonly out: FloatArray;
  readonly geometry: PoolGeometry;
  /** Divide by the whole window within the padded input (true) or by its valid taps. */
  readonly countIncludePad: boolean;
}

/** Arguments of `avgPool2dBackward`. */
export interface AvgPool2dBackwardArgs {
  /** planes × [oh, ow] */
  readonly dy: FloatArray;
  /** planes × [h, w], overwritten */
  readonly dx: FloatArray;
  readonly geometry: PoolGeometry;
  readonly countIncludePad: boolean;
}

/**
 * The divisor of output (y, x)'s window, as PyTorch counts it: the window clipped to the
 * padded input (pt, pl before; the same after), or clipped to the input itself; and the
 * clipped input range, or null when the window holds no input.
 */
function window(
  g: PoolGeometry, y: number, x: number, countIncludePad: boolean,
): { i0: number; i1: number; j0: number; j1: number; divisor: number } | null {
  let i0 = y * g.sh - g.pt;
  let j0 = x * g.sw - g.pl;
  let i1 = Math.min(i0 + g.kh, g.h + g.pt);
  let j1 = Math.min(j0 + g.kw, g.w + g.pl);
  const padded = (i1 - i0) * (j1 - j0);
  i0 = Math.max(i0, 0);
  j0 = Math.max(j0, 0);
  i1 = Math.min(i1, g.h);
  j1 = Math.min(j1, g.w);
  if (i0 >= i1 || j0 >= j1) return null;
  return { i0, i1, j0, j1, divisor: countIncludePad ? padded : (i1 - i0) * (j1 - j0) };
}

/** y = the mean of each window (sum in float64, divided, rounded once); 0 for an empty one. */
export function avgPool2d(a: AvgPool2dArgs): void {
  const { x, out, geometry: g, countIncludePad } = a;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let y = 0; y < g.oh; y++) {
      for (let xx = 0; xx < g.ow; xx++, o++) {
        const win = window(g, y, xx, countIncludePad);
        if (win === null) { out[o] = 0; continue; }
        let sum = 0;
        for (let i = win.i0; i < win.i1; i++) {
          for (let j = win.j0; j < win.j1; j++) sum += x[base + i * g.w + j];
        }
        out[o] = sum / win.divisor;
      }
    }
  }
}

/**
 * dx = 0, then each window's inputs += dy[o] / divisor (the gradient of `avgPool2d`),
 * accumulating in dx's dtype in output order.
 */
export function avgPool2dBackward(a: AvgPool2dBackwardArgs): void {
  const { dy, dx, geometry: g, countIncludePad } = a;
  dx.fill(0, 0, g.planes * g.h * g.w);
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let y = 0; y < g.oh; y++) {
      for (let xx = 0; xx < g.ow; xx++, o++) {
        const win = window(g, y, xx, countIncludePad);
        if (win === null) continue;
        const share = dy[o] / win.divisor;
        for (let i = win.i0; i < win.i1; i++) {
          for (let j = win.j0; j < win.j1; j++) dx[base + i * g.w + j] += share;
        }
      }
    }
  }
}
