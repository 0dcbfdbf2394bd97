// Elementwise kernels: unary maps, broadcast binary zips and a broadcast select.
import type { FloatArray } from "../dtype.js";

/** Unary kernels; `p` and `q` carry parameters (leakyRelu slope, clamp bounds, pow exponent). */
export type UnaryKernel =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "sigmoid" | "tanh" | "relu" | "leakyRelu"
  | "softplus" | "clamp" | "clampMask" | "powScalar" | "square" | "reciprocal" | "step"
  | "leakyStep";

/** Binary kernels; comparisons produce 1 or 0. */
export type BinaryKernel =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual";

/** out[i] = op(x[i]). `out` may be `x`. */
export function unary(op: UnaryKernel, x: FloatArray, out: FloatArray, p = 0, q = 0): void {
  const n = x.length;
  switch (op) {
    case "neg": for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case "exp": for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case "log": for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return;
    case "sqrt": for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); return;
    case "abs": for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); return;
    case "sign": for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]); return;
    case "square": for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; return;
    case "reciprocal": for (let i = 0; i < n; i++) out[i] = 1 / x[i]; return;
    case "tanh": for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); return;
    case "relu": for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0; return;
    case "leakyRelu": for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : p * x[i]; return;
    // NOTE: the derivative masks treat exactly 0 as the negative side: relu'(0) = 0.
    case "step": for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : 0; return;
    case "leakyStep": for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : p; return;
    case "clamp":
      for (let i = 0; i < n; i++) out[i] = x[i] < p ? p : x[i] > q ? q : x[i];
      return;
    case "clampMask":
      for (let i = 0; i < n; i++) out[i] = x[i] >= p && x[i] <= q ? 1 : 0;
      return;
    case "powScalar": for (let i = 0; i < n; i++) out[i] = Math.pow(x[i], p); return;
    case "sigmoid":
      // Two branches so exp never overflows: for x < 0 use e^x / (1 + e^x).
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case "softplus":
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow at large |x|.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
  }
}

/**
 * out = op(a, b) over `shape`, reading a and b through broadcast strides (0 on broadcast
 * axes). The innermost axis runs as a flat loop; outer axes step with an index counter.
 */
export function binary(
  op: BinaryKernel,
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) {
    binaryRun(op, a, 0, 0, b, 0, 0, out, 0, 1);
    return;
  }
  const inner = shape[rank - 1];
  const as = aStrides[rank - 1];
  const bs = bStrides[rank - 1];
  const outer = out.length / Math.max(inner, 1);
  const index = new Array<number>(rank).fill(0);
  let ao = 0;
  let bo = 0;
  for (let run = 0; run < outer; run++) {
    binaryRun(op, a, ao, as, b, bo, bs, out, run * inner, inner);
    // Advance the outer index like an odometer, keeping the a/b offsets in step.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      ao += aStrides[d];
      bo += bStrides[d];
      if (index[d] < shape[d]) break;
      ao -= aStrides[d] * shape[d];
      bo -= bStrides[d] * shape[d];
      index[d] = 0;
    }
  }
}

function binaryRun(
  op: BinaryKernel,
  a: FloatArray, ao: number, as: number,
  b: FloatArray, bo: number, bs: number,
  out: FloatArray, oo: number, n: number,
): void {
  switch (op) {
    case "add": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] + b[bo + i * bs]; return;
    case "sub": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] - b[bo + i * bs]; return;
    case "mul": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] * b[bo + i * bs]; return;
    case "div": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] / b[bo + i * bs]; return;
    case "pow":
      for (let i = 0; i < n; i++) out[oo + i] = Math.pow(a[ao + i * as], b[bo + i * bs]);
      return;
    case "maximum":
      for (let i = 0; i < n; i++) out[oo + i] = Math.max(a[ao + i * as], b[bo + i * bs]);
      return;
    case "minimum":
      for (let i = 0; i < n; i++) out[oo + i] = Math.min(a[ao + i * as], b[bo + i * bs]);
      return;
    case "greater":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] > b[bo + i * bs] ? 1 : 0;
      return;
    case "greaterEqual":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] >= b[bo + i * bs] ? 1 : 0;
      return;
    case "less":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] < b[bo + i * bs] ? 1 : 0;
      return;
    case "lessEqual":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] <= b[bo + i * bs] ? 1 : 0;
      return;
    case "equal":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] === b[bo + i * bs] ? 1 : 0;
      return;
    case "notEqual":
      for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] !== b[bo + i * bs] ? 1 : 0;
      return;
  }
}

/** out = cond != 0 ? a : b over `shape`, all three read through broadcast strides. */
export function select(
  cond: FloatArray, a: FloatArray, b: FloatArray, out: FloatArray,
  shape: readonly number[],
  cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
): void {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let co = 0;
  let ao = 0;
  let bo = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = cond[co] !== 0 ? a[ao] : b[bo];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      co += cStrides[d];
      ao += aStrides[d];
      bo += bStrides[d];
      if (index[d] < shape[d]) break;
      co -= cStrides[d] * shape[d];
      ao -= aStrides[d] * shape[d];
      bo -= bStrides[d] * shape[d];
      index[d] = 0;
    }
  }
}
