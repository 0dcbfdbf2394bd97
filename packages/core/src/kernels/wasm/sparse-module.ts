// Generates the zero-skipping pieces of the matmul module: A panels without their all-zero
// steps, and the finiteness test of a packed B block that makes skipping them exact.
//
// A step whose MR values of A are all ±0 adds only ±0 products to each sum, provided the B row
// it meets is finite (0·∞ is NaN). Every sum starts at +0, and +0 + ±0 = +0, x + ±0 = x for any
// other x: leaving such steps out gives the same bits. MNIST images are about 80 % zeros.
import { Body, ValType } from "./binary.js";
import {
  F32X4_NE, F32X4_SUB, F32_NE, I32_ADD, I32_EQZ, I32_GE_U, I32_MUL, I32_OR, V128_ANY_TRUE, V128_OR,
  V128_ZERO, addTo, block, br, brIf, emit, f32Const, f32Load, f32Store, forLoop, i32Const, i32Store,
  localGet, localSet, localTee, loop, v128Load, v128Store,
} from "./instructions.js";
import { forEachVector } from "./vector-loop.js";

const { i32, v128, f32 } = ValType;

/** Bytes of one step of a compacted panel: MR values of A, then the step's B row offset. */
export const compactStep = (mr: number): number => 4 * (mr + 1);

/** Bytes before a compacted panel's steps: its step count, padded to 16. */
export const COMPACT_HEADER = 16;

/** Bytes of one compacted panel of kc steps, as `compact` lays them out. */
export const compactPanelBytes = (mr: number, kc: number): number =>
  COMPACT_HEADER + kc * compactStep(mr);

/**
 * compact(pa, kc, panels, dst): for each of `panels` packed A panels (kc steps of MR floats,
 * one after another from pa), writes to dst + q·compactPanelBytes(kc) the number of its steps
 * with a value that is not ±0 (NaN counts as not zero), then those steps, each with the byte
 * offset of its row in a packed B panel of NR columns. Branch-free: every step is written, and
 * the write pointer only moves past the kept ones.
 */
export function emitCompact(mr: number, nr: number): Body {
  const code = new Body([i32, i32, i32, i32]);
  const [pa, kc, panels, dst] = [0, 1, 2, 3];
  const [q, w, end, count, offset, keep] = code.locals(i32, 6);
  const groups = Math.floor(mr / 4);
  const vectors = code.locals(v128, groups);
  const scalars = code.locals(f32, mr - 4 * groups);
  const step = compactStep(mr);
  emit(code, i32Const(0), localSet(q));
  forLoop(code, q, panels, 1, () => {
    emit(code,
      localGet(dst), i32Const(COMPACT_HEADER), I32_ADD, localSet(w),
      i32Const(0), localSet(count), i32Const(0), localSet(offset),
      localGet(pa), localGet(kc), i32Const(4 * mr), I32_MUL, I32_ADD, localSet(end));
    block(code, () => loop(code, () => {
      emit(code, localGet(pa), localGet(end), I32_GE_U, brIf(1));
      vectors.forEach((v, g) => {
        emit(code, localGet(w), localGet(pa), v128Load(16 * g), localTee(v), v128Store(16 * g));
      });
      scalars.forEach((x, l) => {
        const at = 4 * (4 * groups + l);
        emit(code, localGet(w), localGet(pa), f32Load(at), localTee(x), f32Store(at));
      });
      emit(code, localGet(w), localGet(offset), i32Store(4 * mr));
      // keep = any value ≠ 0
      vectors.forEach((v, g) => {
        emit(code, localGet(v), V128_ZERO, F32X4_NE);
        if (g > 0) emit(code, V128_OR);
      });
      if (groups > 0) emit(code, V128_ANY_TRUE);
      scalars.forEach((x, l) => {
        emit(code, localGet(x), f32Const(0), F32_NE);
        if (groups > 0 || l > 0) emit(code, I32_OR);
      });
      emit(code,
        localSet(keep),
        localGet(w), localGet(keep), i32Const(step), I32_MUL, I32_ADD, localSet(w),
        addTo(count, { local: keep }),
        addTo(pa, 4 * mr),
        addTo(offset, 4 * nr),
        br(0));
    }));
    emit(code,
      localGet(dst), localGet(count), i32Store(),
      localGet(dst), localGet(kc), i32Const(step), I32_MUL, i32Const(COMPACT_HEADER), I32_ADD,
      I32_ADD, localSet(dst));
  });
  return code;
}

/**
 * finite(x, count) → 1 if none of the count floats at x (padded to whole vectors) is ±∞ or NaN,
 * else 0: x − x is +0 for every finite x and NaN otherwise. The lanes ≠ 0 are or-ed, a chain of
 * one-cycle steps (a sum of the differences would wait on each addition).
 */
export function emitFinite(): Body {
  const code = new Body([i32, i32], [i32]);
  const [x, count] = [0, 1];
  const [bad, v] = code.locals(v128, 2);
  emit(code, V128_ZERO, localSet(bad));
  forEachVector(code, x, count, [[x, 16]], () => {
    emit(code, localGet(x), v128Load(), localTee(v), localGet(v), F32X4_SUB, V128_ZERO, F32X4_NE,
      localGet(bad), V128_OR, localSet(bad));
  });
  emit(code, localGet(bad), V128_ANY_TRUE, I32_EQZ);
  return code;
}
