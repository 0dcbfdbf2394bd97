// Generates the optimizer steps: SGD's descend and Adam/AdamW, every operation in f64 in the
// TypeScript kernels' order so the bits agree.
import { Body, ValType } from "./binary.js";
import {
  F32X4_DEMOTE_F64X2_ZERO, F64X2_ADD, F64X2_DIV, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT,
  F64X2_SQRT, F64X2_SUB, emit, i8x16Shuffle, localGet, localSet, localTee, v128Load, v128Store,
} from "./instructions.js";
import { LOW_HALVES, SWAP_HALVES, forEachVector } from "./vector-loop.js";

const { i32, v128 } = ValType;

/**
 * descend(w, g, count, lr): w[i] = f32(f64(w[i]) − lr·f64(g[i])) in place, so exactly the
 * TypeScript update; two f64 lanes per half of each f32x4, over ⌈count / 4⌉ vectors (the
 * buffers are padded to 16 bytes).
 */
export function emitDescend(): Body {
  const code = new Body([i32, i32, i32, ValType.f64]);
  const [w, g, count, lr] = [0, 1, 2, 3];
  const [rate, wv, gv] = code.locals(v128, 3);
  // w − lr·g for lanes 0–1 of the vectors `wv` and `gv` (or of their high halves).
  const half = (upper: boolean): void => {
    emit(code, localGet(wv));
    if (upper) emit(code, localGet(wv), i8x16Shuffle(SWAP_HALVES));
    emit(code, F64X2_PROMOTE_LOW_F32X4, localGet(gv));
    if (upper) emit(code, localGet(gv), i8x16Shuffle(SWAP_HALVES));
    emit(code, F64X2_PROMOTE_LOW_F32X4, localGet(rate), F64X2_MUL, F64X2_SUB,
      F32X4_DEMOTE_F64X2_ZERO);
  };
  emit(code, localGet(lr), F64X2_SPLAT, localSet(rate));
  forEachVector(code, w, count, [[w, 16], [g, 16]], () => {
    emit(code, localGet(w), v128Load(), localSet(wv), localGet(g), v128Load(), localSet(gv));
    emit(code, localGet(w)); // store address
    half(false);
    half(true);
    emit(code, i8x16Shuffle(LOW_HALVES), v128Store());
  });
  return code;
}

/**
 * adamW / adamL2(w, g, m, v, count, lr, b1, 1−b1, b2, 1−b2, c1, c2, eps, k): the TypeScript
 * `adam` kernel's operations in f64 and in its order, two lanes at a time, over ⌈count / 4⌉
 * f32 vectors of w and g (padded to 16 bytes) and f64 moments m and v (padded to 32 bytes).
 * k is lr·weightDecay for AdamW (x −= k·x), weightDecay for Adam (d += k·x).
 */
export function emitAdam(decoupled: boolean): Body {
  const f64 = ValType.f64;
  const code = new Body([i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64, f64]);
  const [w, g, m, v, count] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const splats = scalars.map((p) => {
    const local = code.local(v128);
    emit(code, localGet(p), F64X2_SPLAT, localSet(local));
    return local;
  });
  const [lr, b1, ob1, b2, ob2, c1, c2, eps, k] = splats;
  const [wv, gv, x, d, mv, vv, lo] = code.locals(v128, 7);
  // The update of lanes 0–1 (or 2–3) of wv, gv, with the moments at offset `at` of m and v.
  const half = (upper: boolean, at: number): void => {
    emit(code, localGet(wv));
    if (upper) emit(code, localGet(wv), i8x16Shuffle(SWAP_HALVES));
    emit(code, F64X2_PROMOTE_LOW_F32X4, localSet(x), localGet(gv));
    if (upper) emit(code, localGet(gv), i8x16Shuffle(SWAP_HALVES));
    emit(code, F64X2_PROMOTE_LOW_F32X4, localSet(d));
    if (decoupled) {
      emit(code, localGet(x), localGet(k), localGet(x), F64X2_MUL, F64X2_SUB, localSet(x));
    } else emit(code, localGet(d), localGet(k), localGet(x), F64X2_MUL, F64X2_ADD, localSet(d));
    emit(code,
      localGet(m), localGet(b1), localGet(m), v128Load(at), F64X2_MUL, localGet(ob1), localGet(d),
      F64X2_MUL, F64X2_ADD, localTee(mv), v128Store(at),
      localGet(v), localGet(b2), localGet(v), v128Load(at), F64X2_MUL, localGet(ob2), localGet(d),
      F64X2_MUL, localGet(d), F64X2_MUL, F64X2_ADD, localTee(vv), v128Store(at),
      localGet(x),
      localGet(lr), localGet(mv), localGet(c1), F64X2_DIV, F64X2_MUL,
      localGet(vv), localGet(c2), F64X2_DIV, F64X2_SQRT, localGet(eps), F64X2_ADD,
      F64X2_DIV, F64X2_SUB, F32X4_DEMOTE_F64X2_ZERO);
  };
  forEachVector(code, w, count, [[w, 16], [g, 16], [m, 32], [v, 32]], () => {
    emit(code, localGet(w), v128Load(), localSet(wv), localGet(g), v128Load(), localSet(gv));
    half(false, 0);
    emit(code, localSet(lo));
    emit(code, localGet(w)); // store address
    emit(code, localGet(lo));
    half(true, 16);
    emit(code, i8x16Shuffle(LOW_HALVES), v128Store());
  });
  return code;
}
