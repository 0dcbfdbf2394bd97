// The seed's training step (seed-mlp.ts) as a float32 program would run it: every product, sum,
// quotient and function value rounded to float32 (Math.fround), the sums in the seed's own
// order. The tests use it to tell how far float32 arithmetic alone moves a case's result from
// the float64 reference: where the seed's own algorithm in float32 already moves it by a tenth
// of a tolerance, no float32 implementation can be held to that tolerance.
import type { Matrix, SeedLayer } from "./seed-mlp.js";

const f = Math.fround;

/** Σ_k terms(k) for k < count, each term and each partial sum rounded to float32. */
function sum32(count: number, term: (k: number) => number): number {
  let s = 0;
  for (let k = 0; k < count; k++) s = f(s + f(term(k)));
  return s;
}

/** One full-batch SGD step of the seed in float32 arithmetic; returns the new layers. */
export function seedStepFloat32(
  params: readonly SeedLayer[], X: Matrix, y: Matrix, slope: number, alpha: number,
): SeedLayer[] {
  const L = params.length;
  const m = X[0].length;
  const [slope32, alpha32] = [f(slope), f(alpha)];
  // Forward: a_i = lrelu(w_i·a_{i-1} + b_i), the last layer sigmoid.
  const a: Matrix[] = [X.map((row) => row.map(f))];
  for (let i = 1; i <= L; i++) {
    const { w, b } = params[i - 1];
    const prev = a[i - 1];
    a.push(w.map((row, o) => Array.from({ length: m }, (_, n) => {
      const z = f(sum32(row.length, (k) => row[k] * prev[k][n]) + b[o]);
      if (i < L) return z > 0 ? z : f(slope32 * z);
      return f(1 / f(1 + f(Math.exp(-z))));
    })));
  }
  // Backward: dz_L = yn − y, then dw, db and dz_{i-1} as the seed computes them.
  let dz: Matrix = a[L].map((row, o) => row.map((v, n) => f(v - y[o][n])));
  const next: SeedLayer[] = new Array(L);
  for (let i = L; i >= 1; i--) {
    const { w, b } = params[i - 1];
    const prev = a[i - 1];
    const dzNow = dz;
    const dw = dzNow.map((dzRow) => prev.map((aRow) => f(sum32(m, (n) => dzRow[n] * aRow[n]) / m)));
    const db = dzNow.map((dzRow) => f(sum32(m, (n) => dzRow[n]) / m));
    next[i - 1] = {
      w: w.map((row, o) => row.map((v, k) => f(v - f(alpha32 * dw[o][k])))),
      b: b.map((v, o) => f(v - f(alpha32 * db[o]))),
    };
    if (i > 1) {
      dz = prev.map((aRow, k) => aRow.map((av, n) =>
        f(sum32(w.length, (o) => w[o][k] * dzNow[o][n]) * (av > 0 ? 1 : slope32))));
    }
  }
  return next;
}
