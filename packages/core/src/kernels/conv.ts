// Convolution kernels in TypeScript: zero padding (and dilation) of image planes, and the three
// products of a 2-D convolution (forward, input gradient, weight gradient) as direct loops.
import type { FloatArray } from "../dtype.js";

/**
 * The sizes of one 2-D convolution, NCHW: input [n, c, h, w], weight [k, c/groups, kh, kw],
 * output [n, k, oh, ow], with oh = ⌊(h + pt + pb − dh·(kh − 1) − 1) / sh⌋ + 1 (likewise ow).
 * Padding may differ per side (pt, pb, pl, pr: top, bottom, left, right). All integers, checked
 * by the op.
 */
export interface ConvGeometry {
  readonly n: number; readonly c: number; readonly h: number; readonly w: number;
  readonly k: number; readonly groups: number;
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
  readonly pt: number; readonly pb: number; readonly pl: number; readonly pr: number;
  readonly oh: number; readonly ow: number;
}

/** The padded input's plane: [h + pt + pb, w + pl + pr]. */
export function paddedSize(g: ConvGeometry): { hp: number; wp: number } {
  return { hp: g.h + g.pt + g.pb, wp: g.w + g.pl + g.pr };
}

/** Arguments of `padPlanes`. */
export interface PadPlanesArgs {
  /** planes × [h, w] */
  readonly x: FloatArray;
  /** planes × [hp, wp], overwritten */
  readonly out: FloatArray;
  readonly planes: number;
  readonly h: number; readonly w: number;
  readonly hp: number; readonly wp: number;
  /** Where x[0, 0] goes (may be negative: rows or columns outside out are dropped). */
  readonly top: number; readonly left: number;
  /** Row and column steps between x's values in out (> 1 dilates with zeros). */
  readonly sh: number; readonly sw: number;
}

/** out[p, top + i·sh, left + j·sw] = x[p, i, j] where that lies inside out; 0 elsewhere. */
export function padPlanes(a: PadPlanesArgs): void {
  const { x, out, planes, h, w, hp, wp, top, left, sh, sw } = a;
  out.fill(0, 0, planes * hp * wp);
  const j0 = Math.max(0, Math.ceil(-left / sw));
  const j1 = Math.min(w, Math.floor((wp - 1 - left) / sw) + 1);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < h; i++) {
      const y = top + i * sh;
      if (y < 0 || y >= hp) continue;
      const from = (p * h + i) * w;
      const to = (p * hp + y) * wp + left;
      for (let j = j0; j < j1; j++) out[to + j * sw] = x[from + j];
    }
  }
}

/** Arguments of `conv2d`. */
export interface Conv2dArgs {
  /** The input padded by `padPlanes` (top pt, left pl): [n, c, hp, wp] */
  readonly xPadded: FloatArray;
  /** [k, c/groups, kh, kw] */
  readonly weight: FloatArray;
  /** [k] or null */
  readonly bias: FloatArray | null;
  /** [n, k, oh, ow], overwritten */
  readonly out: FloatArray;
  readonly geometry: ConvGeometry;
  /** Apply relu (v ≤ 0 ? 0 : v) after the bias, as the relu kernel does. */
  readonly relu: boolean;
}

/**
 * out[n, k, y, x] = Σ_{c', r, s} weight[k, c', r, s] · xPadded[n, g·cg + c', y·sh + r·dh,
 * x·sw + s·dw] with g = ⌊k / kg⌋, summed in float64 and rounded once; then the bias is added
 * (one more rounding, as a separate add) and relu applied (v ≤ 0 ? 0 : v, so NaN stays).
 */
export function conv2d(a: Conv2dArgs): void {
  const { xPadded: xp, weight, bias, out, geometry: g, relu } = a;
  const { hp, wp } = paddedSize(g);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  const taps = g.kh * g.kw;
  for (let n = 0; n < g.n; n++) {
    for (let k = 0; k < g.k; k++) {
      const group = Math.floor(k / kg);
      const wk = k * cg * taps;
      const planes = (n * g.c + group * cg) * hp * wp;
      const b = bias === null ? 0 : bias[k];
      let o = (n * g.k + k) * g.oh * g.ow;
      for (let y = 0; y < g.oh; y++) {
        for (let x = 0; x < g.ow; x++, o++) {
          const corner = planes + y * g.sh * wp + x * g.sw;
          let sum = 0;
          for (let ci = 0; ci < cg; ci++) {
            const plane = corner + ci * hp * wp;
            const wc = wk + ci * taps;
            for (let r = 0; r < g.kh; r++) {
              const row = plane + r * g.dh * wp;
              const wr = wc + r * g.kw;
              for (let s = 0; s < g.kw; s++) sum += weight[wr + s] * xp[row + s * g.dw];
            }
          }
          out[o] = sum;
          if (bias !== null) out[o] += b;
          if (relu) out[o] = out[o] <= 0 ? 0 : out[o]; // as the relu kernel: NaN stays
        }
      }
    }
  }
}

/** Arguments of `conv2dInputGrad`. */
export interface Conv2dInputGradArgs {
  /** [n, k, oh, ow] */
  readonly dy: FloatArray;
  /** [k, c/groups, kh, kw] */
  readonly weight: FloatArray;
  /** [n, c, h, w], overwritten */
  readonly dx: FloatArray;
  readonly geometry: ConvGeometry;
}

/**
 * dx[n, c, i, j] = Σ weight[k, c', r, s] · dy[n, k, y, x] over the output positions (y, x) and
 * taps (r, s) that read input (i, j): y·sh + r·dh − pt = i and x·sw + s·dw − pl = j, for the
 * output channels k of c's group. Summed in float64, rounded once.
 */
export function conv2dInputGrad(a: Conv2dInputGradArgs): void {
  const { dy, weight, dx, geometry: g } = a;
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  const taps = g.kh * g.kw;
  const plane = g.oh * g.ow;
  let o = 0;
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const group = Math.floor(c / cg);
      const ci = c - group * cg;
      for (let i = 0; i < g.h; i++) {
        for (let j = 0; j < g.w; j++, o++) {
          let sum = 0;
          for (let r = 0; r < g.kh; r++) {
            const yy = i + g.pt - r * g.dh;
            if (yy < 0 || yy % g.sh !== 0 || yy / g.sh >= g.oh) continue;
            const y = yy / g.sh;
            for (let s = 0; s < g.kw; s++) {
              const xx = j + g.pl - s * g.dw;
              if (xx < 0 || xx % g.sw !== 0 || xx / g.sw >= g.ow) continue;
              const at = y * g.ow + xx / g.sw;
              for (let k = group * kg; k < (group + 1) * kg; k++) {
                sum += weight[(k * cg + ci) * taps + r * g.kw + s] * dy[(n * g.k + k) * plane + at];
              }
            }
          }
          dx[o] = sum;
        }
      }
    }
  }
}

/** Arguments of `conv2dWeightGrad`. */
export interface Conv2dWeightGradArgs {
  /** The input padded by `padPlanes`: [n, c, hp, wp] */
  readonly xPadded: FloatArray;
  /** [n, k, oh, ow] */
  readonly dy: FloatArray;
  /** [k, c/groups, kh, kw], overwritten */
  readonly dw: FloatArray;
  readonly geometry: ConvGeometry;
}

/**
 * dw[k, c', r, s] = Σ_{n, y, x} dy[n, k, y, x] · xPadded[n, g·cg + c', y·sh + r·dh, x·sw + s·dw],
 * summed in float64 and rounded once.
 */
export function conv2dWeightGrad(a: Conv2dWeightGradArgs): void {
  const { xPadded: xp, dy, dw, geometry: g } = a;
  const { hp, wp } = paddedSize(g);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  const plane = g.oh * g.ow;
  let o = 0;
  for (let k = 0; k < g.k; k++) {
    const group = Math.floor(k / kg);
    for (let ci = 0; ci < cg; ci++) {
      for (let r = 0; r < g.kh; r++) {
        for (let s = 0; s < g.kw; s++, o++) {
          let sum = 0;
          for (let n = 0; n < g.n; n++) {
            const d = (n * g.k + k) * plane;
            const base = ((n * g.c + group * cg + ci) * hp + r * g.dh) * wp + s * g.dw;
            for (let y = 0; y < g.oh; y++) {
              const row = base + y * g.sh * wp;
              const dRow = d + y * g.ow;
              for (let x = 0; x < g.ow; x++) sum += dy[dRow + x] * xp[row + x * g.sw];
            }
          }
          dw[o] = sum;
        }
      }
    }
  }
}

/** Arguments of `channelSum`. */
export interface ChannelSumArgs {
  /** [n, c, inner] */
  readonly x: FloatArray;
  /** [c], overwritten */
  readonly out: FloatArray;
  readonly n: number; readonly c: number; readonly inner: number;
}

/** out[c] = Σ_{n, i} x[n, c, i] (a convolution's bias gradient), in float64, rounded once. */
export function channelSum(a: ChannelSumArgs): void {
  const { x, out, n, c, inner } = a;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const from = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) sum += x[from + i];
    }
    out[ch] = sum;
  }
}
