// Elementwise kernels: unary maps, broadcast binary zips and a broadcast select.
import type { FloatArray } from "../dtype.js";

/** Unary kernels; `p` and `q` carry parameters (leakyRelu slope, clamp bounds, pow exponent). */
export type UnaryKernel =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "sigmoid" | "tanh" | "relu" | "leakyRelu"
  | "softplus" | "clamp" | "clampMask" | "powScalar" | "square" | "reciprocal" | "step"
  | "leakyStep" | "finiteOrZero";

/** Binary kernels; comparisons produce 1 or 0. */
export type BinaryKernel =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual";

/**
 * out[i] = op(x[i]). `out` may be `x`. Each op is its own small function so that V8 keeps
 * every loop monomorphic in the op (one large switch of loops deoptimises as ops alternate).
 */
export function unary(op: UnaryKernel, x: FloatArray, out: FloatArray, p = 0, q = 0): void {
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
function reluLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
}
function leakyReluLoop(x: FloatArray, out: FloatArray, p: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : p * x[i];
}
// NOTE: the derivative masks treat exactly 0 as the negative side: relu'(0) = 0.
function stepLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? 1 : 0;
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
  for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i], p);
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

/**
 * The floor of −|x| under exp for a float32 result: the WebAssembly kernels stop there (e⁻⁷⁰⁸
 * is the last normal double), far below any float32 value, so only 0·∞ corners would differ.
 */
const expFloor = (out: FloatArray): number => (out instanceof Float32Array ? -708 : -Infinity);

/**
 * out = softplus(x) − t·x: the binary cross-entropy of logits x against targets t, per
 * element, computed in double and rounded once into out.
 */
export function bceLogits(x: FloatArray, t: FloatArray, out: FloatArray): void {
  const floor = expFloor(out);
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(Math.max(-Math.abs(v), floor))) - t[i] * v;
  }
}

/** out = (sigmoid(x) − t)·dy: the gradient of `bceLogits` with respect to x, rounded once. */
export function bceLogitsGrad(
  x: FloatArray, t: FloatArray, dy: FloatArray, out: FloatArray,
): void {
  const floor = expFloor(out);
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    const e = Math.exp(Math.max(-Math.abs(v), floor));
    out[i] = ((v >= 0 ? 1 : e) / (1 + e) - t[i]) * dy[i];
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
  // Operands that are whole (same size as out, so laid out like it) or a single value run as
  // one flat loop: a [128, 10] batch would otherwise pay a call per row of 10.
  const aFlat = a.length === out.length ? 1 : a.length === 1 ? 0 : -1;
  const bFlat = b.length === out.length ? 1 : b.length === 1 ? 0 : -1;
  if (aFlat >= 0 && bFlat >= 0) {
    binaryRun(op, a, 0, aFlat, b, 0, bFlat, out, 0, out.length);
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

/** Activations `biasActivation` fuses; "leakyRelu" takes its slope as `p`. */
export type FusedActivation = "identity" | "relu" | "leakyRelu";

/**
 * In place over out: [rows, cols], out[i, j] = act(out[i, j] + bias[j]) (no bias when `bias`
 * is null). Rounds like the unfused ops: the sum is stored (rounded to out's dtype) before
 * the activation reads it back.
 */
export function biasActivation(
  out: FloatArray, bias: FloatArray | null, rows: number, cols: number,
  act: FusedActivation, p = 0,
): void {
  if (bias !== null) addRowVector(out, bias, rows, cols);
  if (act === "relu") reluLoop(out, out);
  else if (act === "leakyRelu") leakyReluLoop(out, out, p);
}

function addRowVector(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    for (let j = 0; j < cols; j++) out[o + j] += bias[j];
  }
}

/**
 * out[i] = dy[i] · (y[i] > 0 ? 1 : p): the backward of relu (p = 0) and leakyRelu read off
 * their output. Equal to multiplying by the stored `leakyStep` mask, whose p is rounded to
 * out's dtype.
 */
export function leakyStepMul(dy: FloatArray, y: FloatArray, out: FloatArray, p: number): void {
  const s = out instanceof Float32Array ? Math.fround(p) : p;
  for (let i = 0; i < out.length; i++) out[i] = y[i] > 0 ? dy[i] : dy[i] * s;
}
