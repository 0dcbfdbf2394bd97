// Optimizer update kernels: in-place parameter steps over flat typed arrays.
import type { FloatArray } from "../dtype.js";
import type { AdamArgs, DescendArgs } from "./contract.js";

/**
 * w[i] ← w[i] − learningRate · g[i] in place, for w and g of one dtype and equal length: the
 * arithmetic in float64, then one rounding into w (so float32 rounds once per element).
 */
export function descend({ w, g, learningRate }: DescendArgs): void {
  if (w instanceof Float32Array && g instanceof Float32Array) descend32(w, g, learningRate);
  else descendAny(w, g, learningRate);
}

// Two copies so that each loop sees one array type and stays monomorphic.
function descend32(w: Float32Array, g: Float32Array, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
}
function descendAny(w: FloatArray, g: FloatArray, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
}

/**
 * One Adam/AdamW step in place over w (with moments m, v in float64): PyTorch's formulation,
 * every operation in float64 in a fixed order, w rounded once. The fast kernel repeats this
 * order exactly, so both give the same bits.
 */
export function adam(h: AdamArgs): void {
  const { w, g, m, v, learningRate: lr, beta1: b1, beta2: b2, eps, weightDecay: wd, c1, c2 } = h;
  const lrwd = lr * wd;
  const ob1 = 1 - b1;
  const ob2 = 1 - b2;
  for (let i = 0; i < w.length; i++) {
    let x = w[i];
    let d = g[i];
    if (h.decoupled) x -= lrwd * x;
    else d += wd * x;
    m[i] = b1 * m[i] + ob1 * d;
    v[i] = b2 * v[i] + ob2 * d * d;
    w[i] = x - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}
