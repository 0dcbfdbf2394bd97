// Optimizer update kernels: in-place parameter steps over flat typed arrays.
import type { FloatArray } from "../dtype.js";

/**
 * w[i] ← w[i] − learningRate · g[i] in place, for w and g of one dtype and equal length: the
 * arithmetic in float64, then one rounding into w (so float32 rounds once per element).
 */
export function descend(w: FloatArray, g: FloatArray, learningRate: number): void {
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
