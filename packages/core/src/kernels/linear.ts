// The fused dense-layer kernel: a matrix product, then bias and activation in one pass.
import type { LinearArgs } from "./contract.js";
import { biasActivation } from "./elementwise.js";
import { matmul } from "./matmul.js";

/** out[m, n] = act(x @ w + bias), overwriting out; rounds like the separate kernels. */
export function linear({ x, w, bias, out, m, k, n, activation, slope }: LinearArgs): void {
  matmul({ a: x, b: w, out, m, k, n });
  biasActivation({ out, bias, rows: m, cols: n, activation, slope });
}
