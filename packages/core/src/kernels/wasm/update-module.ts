// Generates the optimizer steps: SGD's descend and Adam/AdamW, every operation in f64 in the
// TypeScript kernels' order so the bits agree.
import { Code, ValType } from "./encoder.js";
import { LOW_HALVES, SWAP_HALVES, forEachVector } from "./vector-loop.js";

const { i32, v128 } = ValType;

/**
 * descend(w, g, count, lr): w[i] = f32(f64(w[i]) − lr·f64(g[i])) in place, so exactly the
 * TypeScript update; two f64 lanes per half of each f32x4, over ⌈count / 4⌉ vectors (the
 * buffers are padded to 16 bytes).
 */
export function emitDescend(): Code {
  const code = new Code([i32, i32, i32, ValType.f64]);
  const [w, g, count, lr] = [0, 1, 2, 3];
  const [rate, wv, gv] = [code.local(v128), code.local(v128), code.local(v128)];
  // w − lr·g for lanes 0–1 of the vectors `wv` and `gv` (or of their high halves).
  const half = (upper: boolean): void => {
    code.get(wv);
    if (upper) code.get(wv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4();
    code.get(gv);
    if (upper) code.get(gv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().get(rate).f64x2Mul().f64x2Sub().f32x4DemoteF64x2Zero();
  };
  code.get(lr).f64x2Splat().set(rate);
  forEachVector(code, w, count, [[w, 16], [g, 16]], () => {
    code.get(w).v128Load().set(wv);
    code.get(g).v128Load().set(gv);
    code.get(w); // store address
    half(false);
    half(true);
    code.i8x16Shuffle(LOW_HALVES);
    code.v128Store();
  });
  return code;
}

/**
 * adamW / adamL2(w, g, m, v, count, lr, b1, 1−b1, b2, 1−b2, c1, c2, eps, k): the TypeScript
 * `adam` kernel's operations in f64 and in its order, two lanes at a time, over ⌈count / 4⌉
 * f32 vectors of w and g (padded to 16 bytes) and f64 moments m and v (padded to 32 bytes).
 * k is lr·weightDecay for AdamW (x −= k·x), weightDecay for Adam (d += k·x).
 */
export function emitAdam(decoupled: boolean): Code {
  const f64 = ValType.f64;
  const code = new Code([i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64, f64]);
  const [w, g, m, v, count] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const splats = scalars.map((p) => {
    const local = code.local(v128);
    code.get(p).f64x2Splat().set(local);
    return local;
  });
  const [lr, b1, ob1, b2, ob2, c1, c2, eps, k] = splats;
  const [wv, gv, x, d, mv, vv, lo] = Array.from({ length: 7 }, () => code.local(v128));
  // The update of lanes 0–1 (or 2–3) of wv, gv, with the moments at offset `at` of m and v.
  const half = (upper: boolean, at: number): void => {
    code.get(wv);
    if (upper) code.get(wv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().set(x);
    code.get(gv);
    if (upper) code.get(gv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().set(d);
    if (decoupled) code.get(x).get(k).get(x).f64x2Mul().f64x2Sub().set(x);
    else code.get(d).get(k).get(x).f64x2Mul().f64x2Add().set(d);
    code.get(m).get(b1).get(m).v128Load(at).f64x2Mul().get(ob1).get(d).f64x2Mul().f64x2Add()
      .tee(mv).v128Store(at);
    code.get(v).get(b2).get(v).v128Load(at).f64x2Mul()
      .get(ob2).get(d).f64x2Mul().get(d).f64x2Mul().f64x2Add().tee(vv).v128Store(at);
    code.get(x);
    code.get(lr).get(mv).get(c1).f64x2Div().f64x2Mul();
    code.get(vv).get(c2).f64x2Div().f64x2Sqrt().get(eps).f64x2Add();
    code.f64x2Div().f64x2Sub().f32x4DemoteF64x2Zero();
  };
  forEachVector(code, w, count, [[w, 16], [g, 16], [m, 32], [v, 32]], () => {
    code.get(w).v128Load().set(wv);
    code.get(g).v128Load().set(gv);
    half(false, 0);
    code.set(lo);
    code.get(w); // store address
    code.get(lo);
    half(true, 16);
    code.i8x16Shuffle(LOW_HALVES);
    code.v128Store();
  });
  return code;
}
