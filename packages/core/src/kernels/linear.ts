// The fused dense-layer kernel: a matrix product, then bias and activation in one pass.
import type { FloatArray } from "../dtype.js";
import { type FusedActivation, biasActivation } from "./elementwise.js";
import { matmul } from "./matmul.js";

/**
 * out[m, n] = act(x @ w + bias) for x: [m, k], w: [k, n] and bias: [n] or null, overwriting
 * out. `slope` is leakyRelu's negative-side slope.
 */
export function linear(
  x: FloatArray, w: FloatArray, bias: FloatArray | null, out: FloatArray,
  m: number, k: number, n: number, act: FusedActivation, slope: number,
): void {
  matmul(x, w, out, m, k, n);
  biasActivation(out, bias, m, n, act, slope);
}
