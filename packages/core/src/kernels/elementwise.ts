// Elementwise kernels: broadcast binary zips, a broadcast select, and the fused dense-layer and
// cross-entropy passes.
import type { FloatArray } from "../dtype.js";
import type {
  BceLogitsArgs, BceLogitsGradArgs, BiasActivationArgs, BinaryArgs, BinaryKernel,
  LeakyStepMulArgs, SelectArgs,
} from "./contract.js";
import { leakyReluLoop, powC, reluLoop } from "./maps.js";

/**
 * The floor of −|x| under exp for a float32 result: the WebAssembly kernels stop there (e⁻⁷⁰⁸
 * is the last normal double), far below any float32 value, so only 0·∞ corners would differ.
 */
const expFloor = (out: FloatArray): number => (out instanceof Float32Array ? -708 : -Infinity);

/**
 * out = softplus(x) − t·x: the binary cross-entropy of logits x against targets t, per
 * element, computed in double and rounded once into out.
 */
export function bceLogits({ x, t, out }: BceLogitsArgs): void {
  const floor = expFloor(out);
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(Math.max(-Math.abs(v), floor))) - t[i] * v;
  }
}

/** out = (sigmoid(x) − t)·dy: the gradient of `bceLogits` with respect to x, rounded once. */
export function bceLogitsGrad({ x, t, dy, out }: BceLogitsGradArgs): void {
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
export function binary(args: BinaryArgs): void {
  const { op, a, b, out } = args;
  const { shape, strides: [aStrides, bStrides] } =
    coalesce(args.shape, [args.aStrides, args.bStrides]);
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

/**
 * The same iteration over fewer axes: axes of size 1 dropped, and each axis merged into the
 * one before it where every operand steps across both as across one (contiguous, or broadcast
 * along both). [64, 16, 28, 28] ⊙ [1, 16, 1, 1] becomes [64, 16, 784] with strides
 * [0, 1, 0]: 784-long inner runs instead of 28-long ones. Values and their order are unchanged.
 */
export function coalesce(
  shape: readonly number[], strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * One run of op where a is contiguous and b is one value (or the other way round, `bFirst`):
 * the per-channel shapes of batch normalization. Separate small loops let the JIT keep them
 * tight; the values are those of the general loop.
 */
function scalarRun(
  op: "add" | "sub" | "mul" | "div", a: FloatArray, ao: number, v: number, bFirst: boolean,
  out: FloatArray, oo: number, n: number,
): void {
  if (op === "add") for (let i = 0; i < n; i++) out[oo + i] = a[ao + i] + v;
  else if (op === "mul") for (let i = 0; i < n; i++) out[oo + i] = a[ao + i] * v;
  else if (op === "sub") {
    if (bFirst) for (let i = 0; i < n; i++) out[oo + i] = v - a[ao + i];
    else for (let i = 0; i < n; i++) out[oo + i] = a[ao + i] - v;
  } else if (bFirst) for (let i = 0; i < n; i++) out[oo + i] = v / a[ao + i];
  else for (let i = 0; i < n; i++) out[oo + i] = a[ao + i] / v;
}

const ARITHMETIC = new Set<BinaryKernel>(["add", "sub", "mul", "div"]);

function binaryRun(
  op: BinaryKernel,
  a: FloatArray, ao: number, as: number,
  b: FloatArray, bo: number, bs: number,
  out: FloatArray, oo: number, n: number,
): void {
  if (n > 8 && ARITHMETIC.has(op) && as + bs === 1 && as * bs === 0) {
    const arith = op as "add" | "sub" | "mul" | "div";
    if (as === 1) scalarRun(arith, a, ao, b[bo], false, out, oo, n);
    else scalarRun(arith, b, bo, a[ao], true, out, oo, n);
    return;
  }
  switch (op) {
    case "add": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] + b[bo + i * bs]; return;
    case "sub": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] - b[bo + i * bs]; return;
    case "mul": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] * b[bo + i * bs]; return;
    case "div": for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * as] / b[bo + i * bs]; return;
    case "pow":
      for (let i = 0; i < n; i++) out[oo + i] = powC(a[ao + i * as], b[bo + i * bs]);
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
export function select(args: SelectArgs): void {
  const { cond, a, b, out } = args;
  const { shape, strides: [cStrides, aStrides, bStrides] } =
    coalesce(args.shape, [args.condStrides, args.aStrides, args.bStrides]);
  const rank = shape.length;
  if (rank === 0) {
    if (out.length > 0) out[0] = cond[0] !== 0 ? a[0] : b[0];
    return;
  }
  // Runs along the innermost axis, each a strided loop; the outer axes step between runs.
  const n = shape[rank - 1];
  const [cs, as, bs] = [cStrides[rank - 1], aStrides[rank - 1], bStrides[rank - 1]];
  const index = new Array<number>(rank - 1).fill(0);
  let co = 0;
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < out.length; o += n) {
    for (let i = 0; i < n; i++) {
      out[o + i] = cond[co + i * cs] !== 0 ? a[ao + i * as] : b[bo + i * bs];
    }
    for (let d = rank - 2; d >= 0; d--) {
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

/**
 * In place over out: [rows, cols], out[i, j] = act(out[i, j] + bias[j]) (no bias when `bias`
 * is null). Rounds like the unfused ops: the sum is stored (rounded to out's dtype) before
 * the activation reads it back.
 */
export function biasActivation(
  { out, bias, rows, cols, activation, slope }: BiasActivationArgs,
): void {
  if (bias !== null) addRowVector(out, bias, rows, cols);
  if (activation === "relu") reluLoop(out, out);
  else if (activation === "leakyRelu") leakyReluLoop(out, out, slope);
}

function addRowVector(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    for (let j = 0; j < cols; j++) out[o + j] += bias[j];
  }
}

/**
 * out[i] = dy[i] · (y[i] > 0 ? 1 : slope): the backward of relu (slope 0) and leakyRelu read off
 * their output. Equal to multiplying by the stored `leakyStep` mask, whose slope is rounded to
 * out's dtype.
 */
export function leakyStepMul({ dy, y, out, slope, nanAsPositive }: LeakyStepMulArgs): void {
  const s = out instanceof Float32Array ? Math.fround(slope) : slope;
  if (nanAsPositive) for (let i = 0; i < out.length; i++) out[i] = y[i] <= 0 ? dy[i] * s : dy[i];
  else for (let i = 0; i < out.length; i++) out[i] = y[i] > 0 ? dy[i] : dy[i] * s;
}
