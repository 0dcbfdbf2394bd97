// Matrix product kernel: packed panels, k/n blocking and a 4×4 register tile (i-k-j order).
import type { FloatArray } from "../dtype.js";
import type { MatmulArgs } from "./contract.js";

const MR = 4; // rows per A panel (register tile height)
const NR = 4; // columns per B panel (register tile width)
const KC = 256; // depth of one packed block: an A panel and a B panel stay in L1
const NC = 512; // columns per packed B block: the block stays in L2

// Packing scratch, grown on demand and reused so the hot path does not allocate.
let packA = new Float64Array(MR * KC);
let packB = new Float64Array(KC * NC);

/** out = op(a) @ op(b) as `MatmulArgs` describes, accumulating in float64. */
export function matmul({
  a, b, out, m, k, n, transA = false, transB = false, aOffset = 0, bOffset = 0, outOffset = 0,
}: MatmulArgs): void {
  for (let i = 0; i < m * n; i++) out[outOffset + i] = 0;
  if (k === 0) return;
  // A(i, p) = a[aOffset + i·ars + p·acs]; B(p, j) = b[bOffset + p·brs + j·bcs]
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    const panels = Math.ceil(nc / NR);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packPanelsB(b, bOffset + p0 * brs + j0 * bcs, brs, bcs, kc, nc, panels);
      for (let i0 = 0; i0 < m; i0 += MR) {
        const mr = Math.min(MR, m - i0);
        packPanelA(a, aOffset + i0 * ars + p0 * acs, ars, acs, mr, kc);
        for (let jp = 0; jp < panels; jp++) {
          const nr = Math.min(NR, nc - jp * NR);
          tile(kc, jp * kc * NR, out, outOffset + i0 * n + j0 + jp * NR, n, mr, nr);
        }
      }
    }
  }
}

/** Packs a kc×nc block of B into NR-wide column panels, zero-padding the last one. */
function packPanelsB(
  b: FloatArray, offset: number, rs: number, cs: number, kc: number, nc: number, panels: number,
): void {
  const need = panels * kc * NR;
  if (packB.length < need) packB = new Float64Array(need);
  const pb = packB;
  for (let jp = 0; jp < panels; jp++) {
    const base = jp * kc * NR;
    const cols = Math.min(NR, nc - jp * NR);
    for (let p = 0; p < kc; p++) {
      const src = offset + p * rs + jp * NR * cs;
      const dst = base + p * NR;
      for (let jj = 0; jj < cols; jj++) pb[dst + jj] = b[src + jj * cs];
      for (let jj = cols; jj < NR; jj++) pb[dst + jj] = 0;
    }
  }
}

/** Packs an mr×kc block of A so that each step p reads MR consecutive values. */
function packPanelA(
  a: FloatArray, offset: number, rs: number, cs: number, mr: number, kc: number,
): void {
  const pa = packA;
  for (let p = 0; p < kc; p++) {
    const src = offset + p * cs;
    const dst = p * MR;
    for (let ii = 0; ii < mr; ii++) pa[dst + ii] = a[src + ii * rs];
    for (let ii = mr; ii < MR; ii++) pa[dst + ii] = 0;
  }
}

/** One MR×NR tile: sixteen accumulators over kc steps, then added into out. */
function tile(
  kc: number, bBase: number, out: FloatArray, o: number, ldo: number, mr: number, nr: number,
): void {
  const pa = packA;
  const pb = packB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, ia = 0, ib = bBase; p < kc; p++, ia += MR, ib += NR) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
    o += ldo;
    out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13;
    o += ldo;
    out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23;
    o += ldo;
    out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33;
    return;
  }
  const c = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let ii = 0; ii < mr; ii++) {
    for (let jj = 0; jj < nr; jj++) out[o + ii * ldo + jj] += c[ii * NR + jj];
  }
}
