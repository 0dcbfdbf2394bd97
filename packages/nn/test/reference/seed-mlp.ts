// The seed's NumPy MLP (forward, BCE cost, backprop, SGD update) ported line by line to loops.
//
// Source: the NumPy code of the question tapegrad began with (see the README). Layout as in
// the seed: column-major activations a_i: [features, batch], weights w_i: [out, in] (rows),
// biases b_i: [out, 1] (kept here as a flat [out] array), m = X.shape[1] (the batch size).
// Layers are numbered 1..L as in the seed; the arrays below are 0-based, so params[i] holds
// the seed's w_{i+1}, b_{i+1}.
//
//   forward   a_i = lrelu(w_i·a_{i-1} + b_i), i < L   `lrelu((np.dot(param["w"..], a)) + b)`
//             a_L = sigmoid(w_L·a_{L-1} + b_L)         `sigmoid((np.dot(param["w"..], a)) + b)`
//   cost      −sum(y·log(yn) + (1−y)·log(1−yn)) / m    `cost = -np.sum(...)/m`
//   backprop  dz_L = yn − y                            `grad = {"dz"+str(layers): yn-y}`
//             dw_i = dz_i·a_{i-1}ᵀ / m                 `np.dot(grad["dz"..], a.T)/m`
//             db_i = sum(dz_i, axis 1) / m             `np.sum(grad["dz"..], 1, keepdims=True)/m`
//             dz_{i-1} = w_iᵀ·dz_i ∗ lreluDer(a_{i-1}) `np.dot(param["w"..].T, dz)*lreluDer(a)`
//   update    w_i −= alpha·dw_i, b_i −= alpha·db_i     `param["w"..] - alpha*grad["dw"..]`
//
// The seed does not show lrelu/lreluDer; we take the usual definitions with a parameterised slope:
// lrelu(x) = x if x > 0 else slope·x, lreluDer(a) = 1 if a > 0 else slope. NOTE: lreluDer is
// applied to the activation a, not to z. For slope > 0, sign(a) = sign(z), so a > 0 ⇔ z > 0 and
// it equals the derivative at z everywhere, z = 0 included (both give slope there).
//
// Plain number arrays only, no tapegrad code: this is the independent reference.

/** A row-major matrix as nested arrays: m[row][col]. */
export type Matrix = number[][];

/** One layer of the seed: w: [out, in], b: [out] (the seed's [out, 1] column). */
export interface SeedLayer {
  w: Matrix;
  b: number[];
}

/** The seed's cache: a[0] = X, a[i] = activation of layer i, all [features, batch]. */
export interface SeedForward {
  a: Matrix[];
  /** Pre-activations z[i] = w_i·a_{i-1} + b_i for i = 1..L (z[0] is unused, kept empty). */
  z: Matrix[];
  /** The output yn = a[L]: [outputs, batch]. */
  yn: Matrix;
}

/** Gradients dw_i: [out, in] and db_i: [out], index 0 for the seed's layer 1. */
export interface SeedGrads {
  dw: Matrix[];
  db: number[][];
}

export const lrelu = (x: number, slope: number): number => (x > 0 ? x : slope * x);
export const lreluDer = (a: number, slope: number): number => (a > 0 ? 1 : slope);
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Forward pass: X [features, batch] through every layer (leaky ReLU hidden, sigmoid last). */
export function seedForward(params: readonly SeedLayer[], X: Matrix, slope: number): SeedForward {
  const L = params.length;
  const a: Matrix[] = [X];
  const z: Matrix[] = [[]];
  const m = X[0].length;
  for (let i = 1; i <= L; i++) {
    const { w, b } = params[i - 1];
    const prev = a[i - 1];
    const zi: Matrix = w.map((row, o) => {
      const out = new Array<number>(m);
      for (let n = 0; n < m; n++) {
        let s = 0;
        // np.dot(w, a)
        for (let k = 0; k < row.length; k++) s += row[k] * prev[k][n];
        out[n] = s + b[o]; // + b (broadcast over the batch)
      }
      return out;
    });
    z.push(zi);
    a.push(zi.map((r) => r.map((v) => (i < L ? lrelu(v, slope) : sigmoid(v)))));
  }
  return { a, z, yn: a[L] };
}

/**
 * The seed's cost: −Σ (y·log(yn) + (1−y)·log(1−yn)) / m, summed over outputs and batch.
 */
export function seedCost(yn: Matrix, y: Matrix): number {
  const m = yn[0].length;
  let s = 0;
  for (let o = 0; o < yn.length; o++) {
    for (let n = 0; n < m; n++) {
      s += y[o][n] * Math.log(yn[o][n]) + (1 - y[o][n]) * Math.log(1 - yn[o][n]);
    }
  }
  return -s / m;
}

/** Backpropagation exactly as in the seed, from the cache of `seedForward`. */
export function seedBackward(
  params: readonly SeedLayer[], forward: SeedForward, y: Matrix, slope: number,
): SeedGrads {
  const L = params.length;
  const { a, yn } = forward;
  const m = yn[0].length;
  const dw: Matrix[] = new Array(L);
  const db: number[][] = new Array(L);
  let dz: Matrix = yn.map((r, o) => r.map((v, n) => v - y[o][n])); // dz_L = yn − y
  for (let i = L; i >= 1; i--) {
    const prev = a[i - 1]; // [in, m]
    // dw_i = dz_i · a_{i-1}ᵀ / m: [out, in]
    dw[i - 1] = dz.map((dzRow) => prev.map((aRow) => {
      let s = 0;
      for (let n = 0; n < m; n++) s += dzRow[n] * aRow[n];
      return s / m;
    }));
    // db_i = sum(dz_i, axis 1) / m
    db[i - 1] = dz.map((dzRow) => {
      let s = 0;
      for (let n = 0; n < m; n++) s += dzRow[n];
      return s / m;
    });
    if (i > 1) {
      // dz_{i-1} = w_iᵀ · dz_i ∗ lreluDer(a_{i-1})
      const w = params[i - 1].w;
      dz = prev.map((aRow, k) => aRow.map((av, n) => {
        let s = 0;
        for (let o = 0; o < w.length; o++) s += w[o][k] * dz[o][n];
        return s * lreluDer(av, slope);
      }));
    }
  }
  return { dw, db };
}

/** The seed's update w −= alpha·dw, b −= alpha·db, as new layers (inputs untouched). */
export function seedUpdate(
  params: readonly SeedLayer[], grads: SeedGrads, alpha: number,
): SeedLayer[] {
  return params.map(({ w, b }, i) => ({
    w: w.map((row, o) => row.map((v, k) => v - alpha * grads.dw[i][o][k])),
    b: b.map((v, o) => v - alpha * grads.db[i][o]),
  }));
}

/** One full-batch training step of the seed: forward, cost, backprop, update. */
export function seedStep(
  params: readonly SeedLayer[], X: Matrix, y: Matrix, slope: number, alpha: number,
): { cost: number; grads: SeedGrads; params: SeedLayer[] } {
  const forward = seedForward(params, X, slope);
  const grads = seedBackward(params, forward, y, slope);
  return { cost: seedCost(forward.yn, y), grads, params: seedUpdate(params, grads, alpha) };
}

/** The layers rounded to float32, so a float32 model starts from the same point. */
export function roundToFloat32(params: readonly SeedLayer[]): SeedLayer[] {
  return params.map(({ w, b }) => ({ w: w.map((r) => r.map(Math.fround)), b: b.map(Math.fround) }));
}

/** mᵀ of a row-major matrix (the seed's [features, batch] ↔ tapegrad's [batch, features]). */
export function transpose(m: Matrix): Matrix {
  if (m.length === 0) return [];
  return m[0].map((_, j) => m.map((row) => row[j]));
}
