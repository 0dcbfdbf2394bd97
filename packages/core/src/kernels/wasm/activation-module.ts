// WebAssembly SIMD softplus and sigmoid for float32 arrays: exp and log1p evaluated in f64
// (two lanes at a time) to about 1e-16 relative, then rounded once to f32, so the results are
// the correctly rounded values nearly always, as the TypeScript kernels' Math.exp/Math.log1p.
import { Code, type Local, ValType } from "./encoder.js";
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
const constants = new WeakMap<Code, Map<number, Local>>();

function hoistConstants(code: Code): void {
  const map = new Map<number, Local>();
  for (const c of [...EXP_TERMS, ...ATANH_TERMS, LN2_HI, LN2_LO, Math.LOG2E, EXP_FLOOR, 1, 2]) {
    if (map.has(c)) continue;
    const local = code.local(v128);
    code.f64(c).f64x2Splat().set(local);
    map.set(c, local);
  }
  constants.set(code, map);
}

/** Pushes a splat of the f64 constant c (hoisted by `hoistConstants`). */
function constant(code: Code, c: number): void {
  const local = constants.get(code)?.get(c);
  if (local === undefined) throw new Error(`activation module: constant ${c} was not hoisted`);
  code.get(local);
}

/**
 * Pushes Σ terms[k]·xᵏ for the f64x2 in `x`, by Estrin's scheme: pairs c₂ᵢ + c₂ᵢ₊₁·x, then
 * pairs of those with x², x⁴, …, so the chain of dependent operations is a few levels deep
 * instead of one per term (the loop is bound by that latency, not by throughput).
 */
function polynomial(code: Code, x: Local, terms: readonly number[]): void {
  let level: Local[] = [];
  for (let i = 0; i < terms.length; i += 2) {
    const q = code.local(v128);
    constant(code, terms[i]);
    if (i + 1 < terms.length) {
      constant(code, terms[i + 1]);
      code.get(x).f64x2Mul().f64x2Add();
    }
    code.set(q);
    level.push(q);
  }
  let power = x;
  while (level.length > 1) {
    const squared = code.local(v128);
    code.get(power).get(power).f64x2Mul().set(squared);
    power = squared;
    const next: Local[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 < level.length) {
        code.get(level[i]).get(level[i + 1]).get(power).f64x2Mul().f64x2Add().set(level[i]);
      }
      next.push(level[i]);
    }
    level = next;
  }
  code.get(level[0]);
}

/** Pushes exp(x) for x ≤ 0 in the f64x2 local `x` (clamped below at −708), using `k`, `r`. */
function expNonPositive(code: Code, x: Local, k: Local, r: Local): void {
  code.get(x);
  constant(code, EXP_FLOOR);
  code.f64x2Max().set(x); // NaN stays NaN
  code.get(x);
  constant(code, Math.LOG2E);
  code.f64x2Mul().f64x2Nearest().set(k);
  code.get(x).get(k);
  constant(code, LN2_HI);
  code.f64x2Mul().f64x2Sub().get(k);
  constant(code, LN2_LO);
  code.f64x2Mul().f64x2Sub().set(r);
  polynomial(code, r, EXP_TERMS);
  // 2^k from its bits: (k + 1023) << 52.
  code.get(k).i32x4TruncSatF64x2SZero().i32(1023).i32x4Splat().i32x4Add();
  code.i64x2ExtendLowI32x4S().i32(52).i64x2Shl();
  code.f64x2Mul();
}

/**
 * (x, ...others, out, count): out[i] = f(x[i], others[i]...) over ⌈count / 4⌉ f32 vectors
 * (buffers padded to 16 bytes; out may be x). `body` maps the f64x2 in `v` to f(v) on the
 * stack, with `e` = exp(−|v|) and the other inputs' matching lanes in `more`.
 */
function emitMap(
  body: (code: Code, v: Local, e: Local, more: readonly Local[]) => void, others = 0,
): Code {
  const code = new Code(new Array<ValType>(others + 3).fill(i32));
  const x = 0;
  const [out, count] = [others + 1, others + 2];
  const inputs = Array.from({ length: others }, (_, i) => i + 1);
  const [xv, v, e, k, r, lo] = Array.from({ length: 6 }, () => code.local(v128));
  const vectors = inputs.map(() => code.local(v128));
  const more = inputs.map(() => code.local(v128));
  hoistConstants(code);
  const promote = (from: Local, to: Local, upper: boolean): void => {
    code.get(from);
    if (upper) code.get(from).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().set(to);
  };
  const half = (upper: boolean): void => {
    promote(xv, v, upper);
    vectors.forEach((vector, i) => promote(vector, more[i], upper));
    code.get(v).f64x2Abs().f64x2Neg().set(e);
    expNonPositive(code, e, k, r);
    code.set(e);
    body(code, v, e, more);
    code.f32x4DemoteF64x2Zero();
  };
  const advance = [x, ...inputs, out].map((p) => [p, 16] as const);
  forEachVector(code, x, count, advance, () => {
    code.get(x).v128Load().set(xv);
    inputs.forEach((input, i) => code.get(input).v128Load().set(vectors[i]));
    half(false);
    code.set(lo);
    code.get(out); // store address
    code.get(lo);
    half(true);
    code.i8x16Shuffle(LOW_HALVES);
    code.v128Store();
  });
  return code;
}

/** Pushes softplus(v) = max(v, 0) + log1p(e) with e = exp(−|v|); v and e are overwritten. */
function softplusOf(code: Code, v: Local, e: Local): void {
  const s = v; // v is not needed after the max below: reuse it for s, then s²
  code.get(v).v128Zero().get(v).v128Zero().f64x2Gt().v128Bitselect(); // max(v, 0), NaN → 0
  code.get(e).get(e);
  constant(code, 2);
  code.f64x2Add().f64x2Div().set(s); // s = e / (2 + e)
  code.get(s);
  code.get(s).get(s).f64x2Mul().set(e); // e ← s²
  polynomial(code, e, ATANH_TERMS);
  code.f64x2Mul();
  constant(code, 2);
  code.f64x2Mul().f64x2Add();
}

/** Pushes sigmoid(v) = 1/(1 + e) for v ≥ 0, e/(1 + e) otherwise, with e = exp(−|v|). */
function sigmoidOf(code: Code, v: Local, e: Local): void {
  constant(code, 1);
  code.get(e).get(v).v128Zero().f64x2Ge().v128Bitselect(); // NaN ≥ 0 is false: e (NaN)
  code.get(e);
  constant(code, 1);
  code.f64x2Add().f64x2Div();
}

/** softplus(x) = max(x, 0) + log1p(exp(−|x|)), the TypeScript kernel's formula. */
export function emitSoftplus(): Code {
  return emitMap(softplusOf);
}

/** sigmoid(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) otherwise, with e = exp(−|x|). */
export function emitSigmoid(): Code {
  return emitMap(sigmoidOf);
}

/**
 * (x, t, out, count): out = softplus(x) − t·x, the binary cross-entropy of logits x against
 * targets t, in f64 and rounded once.
 */
export function emitBceLogits(): Code {
  return emitMap((code, v, e, [t]) => {
    code.get(t).get(v).f64x2Mul().set(t); // t·x first: softplusOf overwrites v
    softplusOf(code, v, e);
    code.get(t).f64x2Sub();
  }, 1);
}

/** (x, t, dy, out, count): out = (sigmoid(x) − t)·dy, BCE's gradient, in f64, rounded once. */
export function emitBceLogitsGrad(): Code {
  return emitMap((code, v, e, [t, dy]) => {
    sigmoidOf(code, v, e);
    code.get(t).f64x2Sub().get(dy).f64x2Mul();
  }, 2);
}
