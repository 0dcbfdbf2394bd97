// Unary kernels: one flat loop per map (exp, relu, clamp, …), dispatched by name.
import type { FloatArray } from "../dtype.js";
import type { UnaryArgs } from "./contract.js";

/**
 * out[i] = op(x[i]). `out` may be `x`. Each op is its own small function so that V8 keeps
 * every loop monomorphic in the op (one large switch of loops deoptimises as ops alternate).
 */
export function unary({ op, x, out, p = 0, q = 0 }: UnaryArgs): void {
  switch (op) {
    case "neg": return negLoop(x, out);
    case "exp": return expLoop(x, out);
    case "log": return logLoop(x, out);
    case "sqrt": return sqrtLoop(x, out);
    case "abs": return absLoop(x, out);
    case "sign": return signLoop(x, out);
    case "square": return squareLoop(x, out);
    case "reciprocal": return reciprocalLoop(x, out);
    case "tanh": return tanhLoop(x, out);
    case "relu": return reluLoop(x, out);
    case "leakyRelu": return leakyReluLoop(x, out, p);
    case "step": return stepLoop(x, out);
    case "leakyStep": return leakyStepLoop(x, out, p);
    case "clamp": return clampLoop(x, out, p, q);
    case "clampMask": return clampMaskLoop(x, out, p, q);
    case "powScalar": return powScalarLoop(x, out, p);
    case "sigmoid": return sigmoidLoop(x, out);
    case "softplus": return softplusLoop(x, out);
    case "finiteOrZero": return finiteOrZeroLoop(x, out);
    case "log1p": return log1pLoop(x, out);
    case "expm1": return expm1Loop(x, out);
  }
}

function negLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = -x[i];
}
function expLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
}
function logLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]);
}
function log1pLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.log1p(x[i]);
}
function expm1Loop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.expm1(x[i]);
}
function sqrtLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]);
}
function absLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
}
function signLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.sign(x[i]);
}
function squareLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] * x[i];
}
function reciprocalLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = 1 / x[i];
}
function tanhLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
}
// NOTE: NaN goes through relu and its mask passes the gradient at NaN, as in PyTorch.
export function reluLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] <= 0 ? 0 : x[i];
}
export function leakyReluLoop(x: FloatArray, out: FloatArray, p: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : p * x[i];
}
// NOTE: the derivative masks treat exactly 0 as the negative side: relu'(0) = 0.
function stepLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] <= 0 ? 0 : 1;
}
function leakyStepLoop(x: FloatArray, out: FloatArray, p: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? 1 : p;
}
function finiteOrZeroLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Number.isFinite(x[i]) ? x[i] : 0;
}
function clampLoop(x: FloatArray, out: FloatArray, p: number, q: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] < p ? p : x[i] > q ? q : x[i];
}
function clampMaskLoop(x: FloatArray, out: FloatArray, p: number, q: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] >= p && x[i] <= q ? 1 : 0;
}
function powScalarLoop(x: FloatArray, out: FloatArray, p: number): void {
  for (let i = 0; i < x.length; i++) out[i] = powC(x[i], p);
}
/**
 * a ** b as C's pow (IEEE 754, PyTorch, NumPy): Math.pow gives NaN for 1 ** ±∞, 1 ** NaN and
 * (−1) ** ±∞, where C gives 1 (±1 to an infinite power is 1, 1 to any power is 1).
 */
export function powC(a: number, b: number): number {
  return a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b);
}
function sigmoidLoop(x: FloatArray, out: FloatArray): void {
  // Two branches so exp never overflows: for x < 0 use e^x / (1 + e^x).
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}
function softplusLoop(x: FloatArray, out: FloatArray): void {
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow at large |x|.
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}
