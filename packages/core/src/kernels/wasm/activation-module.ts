// WebAssembly SIMD softplus and sigmoid for float32 arrays: exp and log1p evaluated in f64
// (two lanes at a time) to about 1e-16 relative, then rounded once to f32, so the results are
// the correctly rounded values nearly always, as the TypeScript kernels' Math.exp/Math.log1p.
import { Body, type Local, ValType } from "./binary.js";
import {
  F32X4_DEMOTE_F64X2_ZERO, F64X2_ABS, F64X2_ADD, F64X2_DIV, F64X2_GE, F64X2_GT, F64X2_MAX,
  F64X2_MUL, F64X2_NEAREST, F64X2_NEG, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, F64X2_SUB, I32X4_ADD,
  I32X4_SPLAT, I32X4_TRUNC_SAT_F64X2_S_ZERO, I64X2_EXTEND_LOW_I32X4_S, I64X2_SHL, type Instruction,
  V128_BITSELECT, V128_ZERO, emit, f64Const, i32Const, i8x16Shuffle, localGet, localSet, v128Load,
  v128Store,
} from "./instructions.js";
import { LOW_HALVES, SWAP_HALVES, forEachVector } from "./vector-loop.js";

const { i32, v128 } = ValType;

// exp(r) = Σ rᵏ/k! for |r| ≤ ln2/2: 13 terms leave an error below 1e-17.
const EXP_TERMS = Array.from({ length: 14 }, (_, k) => 1 / factorial(k));
// log1p(e) = 2·atanh(s), s = e/(2 + e) ≤ 1/3: Σ s^(2j+1)/(2j+1) to j = 17 errs below 1e-17.
const ATANH_TERMS = Array.from({ length: 18 }, (_, j) => 1 / (2 * j + 1));
const LN2_HI = 6.93147180369123816490e-1; // ln 2 split so k·LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.90821492927058770002e-10;
// exp(-708) is still a normal double; below it the 2^k scale would not be.
const EXP_FLOOR = -708;

function factorial(k: number): number {
  return k <= 1 ? 1 : k * factorial(k - 1);
}

// Splats of every constant live in locals set before the loop: V8 would otherwise build each
// one again at every use inside it.
const constants = new WeakMap<Body, Map<number, Local>>();

function hoistConstants(code: Body): void {
  const map = new Map<number, Local>();
  for (const c of [...EXP_TERMS, ...ATANH_TERMS, LN2_HI, LN2_LO, Math.LOG2E, EXP_FLOOR, 1, 2]) {
    if (map.has(c)) continue;
    const local = code.local(v128);
    emit(code, f64Const(c), F64X2_SPLAT, localSet(local));
    map.set(c, local);
  }
  constants.set(code, map);
}

/** The instruction that pushes a splat of the f64 constant c (hoisted by `hoistConstants`). */
function constant(code: Body, c: number): Instruction {
  const local = constants.get(code)?.get(c);
  if (local === undefined) throw new Error(`activation module: constant ${c} was not hoisted`);
  return localGet(local);
}

/**
 * Pushes Σ terms[k]·xᵏ for the f64x2 in `x`, by Estrin's scheme: pairs c₂ᵢ + c₂ᵢ₊₁·x, then
 * pairs of those with x², x⁴, …, so the chain of dependent operations is a few levels deep
 * instead of one per term (the loop is bound by that latency, not by throughput).
 */
function polynomial(code: Body, x: Local, terms: readonly number[]): void {
  let level: Local[] = [];
  for (let i = 0; i < terms.length; i += 2) {
    const q = code.local(v128);
    emit(code, constant(code, terms[i]));
    if (i + 1 < terms.length) {
      emit(code, constant(code, terms[i + 1]), localGet(x), F64X2_MUL, F64X2_ADD);
    }
    emit(code, localSet(q));
    level.push(q);
  }
  let power = x;
  while (level.length > 1) {
    const squared = code.local(v128);
    emit(code, localGet(power), localGet(power), F64X2_MUL, localSet(squared));
    power = squared;
    const next: Local[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 < level.length) {
        emit(code, localGet(level[i]), localGet(level[i + 1]), localGet(power), F64X2_MUL,
          F64X2_ADD, localSet(level[i]));
      }
      next.push(level[i]);
    }
    level = next;
  }
  emit(code, localGet(level[0]));
}

/** Pushes exp(x) for x ≤ 0 in the f64x2 local `x` (clamped below at −708), using `k`, `r`. */
function expNonPositive(code: Body, x: Local, k: Local, r: Local): void {
  emit(code, localGet(x), constant(code, EXP_FLOOR), F64X2_MAX, localSet(x)); // NaN stays NaN
  emit(code,
    localGet(x), constant(code, Math.LOG2E), F64X2_MUL, F64X2_NEAREST, localSet(k),
    localGet(x), localGet(k), constant(code, LN2_HI), F64X2_MUL, F64X2_SUB,
    localGet(k), constant(code, LN2_LO), F64X2_MUL, F64X2_SUB, localSet(r));
  polynomial(code, r, EXP_TERMS);
  // 2^k from its bits: (k + 1023) << 52.
  emit(code,
    localGet(k), I32X4_TRUNC_SAT_F64X2_S_ZERO, i32Const(1023), I32X4_SPLAT, I32X4_ADD,
    I64X2_EXTEND_LOW_I32X4_S, i32Const(52), I64X2_SHL,
    F64X2_MUL);
}

/**
 * (x, ...others, out, count): out[i] = f(x[i], others[i]...) over ⌈count / 4⌉ f32 vectors
 * (buffers padded to 16 bytes; out may be x). `body` maps the f64x2 in `v` to f(v) on the
 * stack, with `e` = exp(−|v|) and the other inputs' matching lanes in `more`.
 */
function emitMap(
  body: (code: Body, v: Local, e: Local, more: readonly Local[]) => void, others = 0,
): Body {
  const code = new Body(new Array<ValType>(others + 3).fill(i32));
  const x = 0;
  const [out, count] = [others + 1, others + 2];
  const inputs = Array.from({ length: others }, (_, i) => i + 1);
  const [xv, v, e, k, r, lo] = code.locals(v128, 6);
  const vectors = code.locals(v128, others);
  const more = code.locals(v128, others);
  hoistConstants(code);
  const promote = (from: Local, to: Local, upper: boolean): void => {
    emit(code, localGet(from));
    if (upper) emit(code, localGet(from), i8x16Shuffle(SWAP_HALVES));
    emit(code, F64X2_PROMOTE_LOW_F32X4, localSet(to));
  };
  const half = (upper: boolean): void => {
    promote(xv, v, upper);
    vectors.forEach((vector, i) => promote(vector, more[i], upper));
    emit(code, localGet(v), F64X2_ABS, F64X2_NEG, localSet(e));
    expNonPositive(code, e, k, r);
    emit(code, localSet(e));
    body(code, v, e, more);
    emit(code, F32X4_DEMOTE_F64X2_ZERO);
  };
  const advance = [x, ...inputs, out].map((p) => [p, 16] as const);
  forEachVector(code, x, count, advance, () => {
    emit(code, localGet(x), v128Load(), localSet(xv));
    inputs.forEach((input, i) => emit(code, localGet(input), v128Load(), localSet(vectors[i])));
    half(false);
    emit(code, localSet(lo));
    emit(code, localGet(out)); // store address
    emit(code, localGet(lo));
    half(true);
    emit(code, i8x16Shuffle(LOW_HALVES), v128Store());
  });
  return code;
}

/** Pushes softplus(v) = max(v, 0) + log1p(e) with e = exp(−|v|); v and e are overwritten. */
function softplusOf(code: Body, v: Local, e: Local): void {
  const s = v; // v is not needed after the max below: reuse it for s, then s²
  // max(v, 0), NaN → 0
  emit(code, localGet(v), V128_ZERO, localGet(v), V128_ZERO, F64X2_GT, V128_BITSELECT);
  // s = e / (2 + e)
  emit(code, localGet(e), localGet(e), constant(code, 2), F64X2_ADD, F64X2_DIV, localSet(s));
  emit(code, localGet(s));
  emit(code, localGet(s), localGet(s), F64X2_MUL, localSet(e)); // e ← s²
  polynomial(code, e, ATANH_TERMS);
  emit(code, F64X2_MUL, constant(code, 2), F64X2_MUL, F64X2_ADD);
}

/** Pushes sigmoid(v) = 1/(1 + e) for v ≥ 0, e/(1 + e) otherwise, with e = exp(−|v|). */
function sigmoidOf(code: Body, v: Local, e: Local): void {
  // NaN ≥ 0 is false: e (NaN)
  emit(code, constant(code, 1), localGet(e), localGet(v), V128_ZERO, F64X2_GE, V128_BITSELECT);
  emit(code, localGet(e), constant(code, 1), F64X2_ADD, F64X2_DIV);
}

/** softplus(x) = max(x, 0) + log1p(exp(−|x|)), the TypeScript kernel's formula. */
export function emitSoftplus(): Body {
  return emitMap(softplusOf);
}

/** sigmoid(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) otherwise, with e = exp(−|x|). */
export function emitSigmoid(): Body {
  return emitMap(sigmoidOf);
}

/**
 * (x, t, out, count): out = softplus(x) − t·x, the binary cross-entropy of logits x against
 * targets t, in f64 and rounded once.
 */
export function emitBceLogits(): Body {
  return emitMap((code, v, e, [t]) => {
    // t·x first: softplusOf overwrites v
    emit(code, localGet(t), localGet(v), F64X2_MUL, localSet(t));
    softplusOf(code, v, e);
    emit(code, localGet(t), F64X2_SUB);
  }, 1);
}

/** (x, t, dy, out, count): out = (sigmoid(x) − t)·dy, BCE's gradient, in f64, rounded once. */
export function emitBceLogitsGrad(): Body {
  return emitMap((code, v, e, [t, dy]) => {
    sigmoidOf(code, v, e);
    emit(code, localGet(t), F64X2_SUB, localGet(dy), F64X2_MUL);
  }, 2);
}
