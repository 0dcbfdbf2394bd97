// Generates the row-sparse product for a left operand with many zeros (a batch of images, 80 %
// zeros): each row of A as a list of its nonzero values with their B row offsets, then each row
// of C as the sum of those B rows, eight vectors of columns at a time.
//
// Leaving out the steps where A is ±0 gives the bits of the dense sum, provided B is finite
// (see sparse-module.ts): the runner checks B. Each sum adds its products in increasing p with
// the dense micro-kernel's operations (acc + a·b, or its relaxed madd), so the bits are the
// dense kernel's too.
import { Body, ValType } from "./binary.js";
import {
  F32X4_ADD, F32X4_MUL, F32X4_NE, F32X4_RELAXED_MADD, F32_NE, I32X4_ADD, I32X4_BITMASK, I32X4_SPLAT,
  I32_ADD, I32_AND, I32_DIV_U, I32_EQ, I32_GE_U, I32_LT_S, I32_MUL, I32_SHL, I32_SHR_U, I32_SUB,
  V128_AND, V128_ANY_TRUE, V128_ZERO, addTo, block, br, brIf, call, emit, f32Const, f32Load,
  f32Store, f32x4ExtractLane, forLoop, i32Const, i32Load, i32Store, i32x4ExtractLane, ifElse,
  localGet, localSet, localTee, loop, v128Load, v128Load32Splat, v128Store,
} from "./instructions.js";
import type { KernelConfig } from "./kernel-module.js";

const { i32, v128 } = ValType;

/** Vectors of C columns per pass over a row's list. */
export const SPARSE_CHUNK = 12;

/** Bytes of one list entry: the B row's byte offset, then the value of A. */
export const SPARSE_ENTRY = 8;

/** Bytes before the lists: each row's list end (one i32 per row), padded to 16. */
export const listsOffset = (m: number): number => Math.ceil((4 * m) / 16) * 16;

/**
 * Scratch bytes `sparseGemm` needs for m rows of k values: the list ends, then k entries of
 * room per row (row i's list starts at listsOffset(m) + SPARSE_ENTRY·k·i).
 */
export const sparseScratchBytes = (m: number, k: number): number =>
  listsOffset(m) + SPARSE_ENTRY * m * k;

/** Pushes the start of row i's list: pos + listsOffset(m) + SPARSE_ENTRY·k·i. */
function listStart(code: Body, pos: number, m: number, k: number, i: () => void): void {
  emit(code, localGet(pos), localGet(m), i32Const(4), I32_MUL, i32Const(15), I32_ADD, i32Const(-16),
    I32_AND, I32_ADD);
  i();
  emit(code, localGet(k), I32_MUL, i32Const(SPARSE_ENTRY), I32_MUL, I32_ADD);
}

/**
 * Appends entries (off + lane·brs, lane's value) for the four lanes of `v` (the nonzero ones
 * set in `mask`) to the list ending at w. Every lane is written and w moves past the nonzero
 * ones only: branch-free, since which lanes are nonzero is data and a branch on it would be
 * mispredicted.
 */
function appendLanes(code: Body, v: number, mask: number, off: number, brs: number, w: number) {
  for (let lane = 0; lane < 4; lane++) {
    emit(code, localGet(w), localGet(off));
    if (lane > 0) emit(code, localGet(brs), i32Const(lane), I32_MUL, I32_ADD);
    emit(code,
      i32Store(),
      localGet(w), localGet(v), f32x4ExtractLane(lane), f32Store(4),
      localGet(w), localGet(mask), i32Const(lane), I32_SHR_U, i32Const(1), I32_AND, i32Const(3),
      I32_SHL, I32_ADD, localSet(w));
  }
}

/**
 * Appends (off, the f32 at `at`) to the list ending at w (w moves on) when that value is not
 * ±0 (NaN counts as not zero). `off` and `at` are pushed by the callbacks.
 */
function appendIfNonzero(code: Body, w: number, at: () => void, off: () => void): void {
  const x = code.local(ValType.f32);
  at();
  emit(code, f32Load(), localSet(x), localGet(x), f32Const(0), F32_NE);
  ifElse(code, () => {
    emit(code, localGet(w));
    off();
    emit(code, i32Store(), localGet(w), localGet(x), f32Store(4), addTo(w, SPARSE_ENTRY));
  });
}

/**
 * rowLists(a, ars, brs, m, k, pos): lists for rows of A stored contiguously (A(i, p) at
 * a + i·ars + 4p): row i's entries (p·brs, A(i, p)) for its values ≠ ±0 in increasing p, from
 * its list start; pos[i] = the end of its list.
 */
export function emitRowLists(): Body {
  const code = new Body([i32, i32, i32, i32, i32, i32]);
  const [a, ars, brs, m, k, pos] = [0, 1, 2, 3, 4, 5];
  const [i, w, row, q, end4, end, off, mask] = code.locals(i32, 8);
  const v = code.local(v128);
  emit(code, localGet(a), localSet(row), i32Const(0), localSet(i));
  forLoop(code, i, m, 1, () => {
    listStart(code, pos, m, k, () => emit(code, localGet(i)));
    emit(code,
      localSet(w),
      localGet(row), localTee(q), localGet(k), i32Const(-4), I32_AND, i32Const(4), I32_MUL, I32_ADD,
      localSet(end4),
      localGet(row), localGet(k), i32Const(4), I32_MUL, I32_ADD, localSet(end),
      i32Const(0), localSet(off));
    // Four values at a time; all-zero ones (most, in an image's margins) cost a test.
    block(code, () => loop(code, () => {
      emit(code,
        localGet(q), localGet(end4), I32_GE_U, brIf(1),
        localGet(q), v128Load(), localTee(v), V128_ZERO, F32X4_NE, I32X4_BITMASK, localTee(mask));
      ifElse(code, () => appendLanes(code, v, mask, off, brs, w));
      emit(code,
        addTo(q, 16),
        localGet(off), localGet(brs), i32Const(4), I32_MUL, I32_ADD, localSet(off),
        br(0));
    }));
    block(code, () => loop(code, () => {
      emit(code, localGet(q), localGet(end), I32_GE_U, brIf(1));
      appendIfNonzero(code, w, () => emit(code, localGet(q)), () => emit(code, localGet(off)));
      emit(code, addTo(q, 4), addTo(off, { local: brs }), br(0));
    }));
    emit(code,
      localGet(pos), localGet(i), i32Const(4), I32_MUL, I32_ADD, localGet(w), i32Store(),
      addTo(row, { local: ars }));
  });
  return code;
}

/**
 * columnLists(a, acs, brs, m, k, pos): the same lists for A stored by columns (A(i, p) at
 * a + 4i + p·acs, as a transposed operand is): each column of A, in increasing p, appends to
 * the lists of its nonzero rows.
 */
export function emitColumnLists(): Body {
  const code = new Body([i32, i32, i32, i32, i32, i32]);
  const [a, acs, brs, m, k, pos] = [0, 1, 2, 3, 4, 5];
  const [p, i, col, m4, at, off, w] = code.locals(i32, 7);
  const [v, nonzero, ends] = code.locals(v128, 3);
  emit(code, localGet(m), i32Const(-4), I32_AND, localSet(m4), i32Const(0), localSet(i));
  forLoop(code, i, m, 1, () => {
    emit(code, localGet(pos), localGet(i), i32Const(4), I32_MUL, I32_ADD);
    listStart(code, pos, m, k, () => emit(code, localGet(i)));
    emit(code, i32Store());
  });
  emit(code, i32Const(0), localSet(p), localGet(a), localSet(col), i32Const(0), localSet(off));
  forLoop(code, p, k, 1, () => {
    emit(code, i32Const(0), localSet(i));
    forLoop(code, i, m4, 4, () => {
      emit(code, localGet(col), localGet(i), i32Const(4), I32_MUL, I32_ADD, v128Load(), localTee(v),
        V128_ZERO, F32X4_NE, localTee(nonzero), V128_ANY_TRUE);
      // Rows i..i+3: every lane's entry is written at its row's list end, and the ends of
      // the nonzero lanes move on (branch-free within the four).
      ifElse(code, () => {
        emit(code, localGet(pos), localGet(i), i32Const(4), I32_MUL, I32_ADD, localTee(at),
          v128Load(), localSet(ends));
        for (let lane = 0; lane < 4; lane++) {
          emit(code,
            localGet(ends), i32x4ExtractLane(lane), localTee(w), localGet(off), i32Store(),
            localGet(w), localGet(v), f32x4ExtractLane(lane), f32Store(4));
        }
        emit(code, localGet(at), localGet(ends), localGet(nonzero), i32Const(SPARSE_ENTRY),
          I32X4_SPLAT, V128_AND, I32X4_ADD, v128Store());
      });
    });
    forLoop(code, i, m, 1, () => {
      emit(code, localGet(pos), localGet(i), i32Const(4), I32_MUL, I32_ADD, localTee(at), i32Load(),
        localSet(w));
      appendIfNonzero(code, w,
        () => emit(code, localGet(col), localGet(i), i32Const(4), I32_MUL, I32_ADD),
        () => emit(code, localGet(off)));
      emit(code, localGet(at), localGet(w), i32Store());
    });
    emit(code, addTo(col, { local: acs }), addTo(off, { local: brs }));
  });
  return code;
}

/**
 * sparseRow(q, end, b, c): the nv vectors of C at c = Σ over the list entries from q to end of
 * value · (the nv vectors at b + the entry's B row offset), from +0, in list order.
 */
export function emitSparseRow(cfg: KernelConfig, nv: number): Body {
  const code = new Body([i32, i32, i32, i32]);
  const [q, end, b, c] = [0, 1, 2, 3];
  const acc = code.locals(v128, nv);
  const [s, bp] = [code.local(v128), code.local(i32)];
  emit(code, V128_ZERO, localSet(acc[0]));
  for (let j = 1; j < nv; j++) emit(code, localGet(acc[0]), localSet(acc[j]));
  block(code, () => loop(code, () => {
    emit(code,
      localGet(q), localGet(end), I32_GE_U, brIf(1),
      localGet(b), localGet(q), i32Load(), I32_ADD, localSet(bp),
      localGet(q), v128Load32Splat(4), localSet(s));
    for (let j = 0; j < nv; j++) {
      // The dense micro-kernel's operations in its operand order (sparse-module.ts).
      if (cfg.fma) {
        emit(code, localGet(s), localGet(bp), v128Load(16 * j), localGet(acc[j]),
          F32X4_RELAXED_MADD, localSet(acc[j]));
      } else {
        emit(code, localGet(acc[j]), localGet(s), localGet(bp), v128Load(16 * j), F32X4_MUL,
          F32X4_ADD, localSet(acc[j]));
      }
    }
    emit(code, addTo(q, SPARSE_ENTRY), br(0));
  }));
  for (let j = 0; j < nv; j++) emit(code, localGet(c), localGet(acc[j]), v128Store(16 * j));
  return code;
}

/** Function indices sparseGemm calls: the list builders and sparseRow by vector count. */
export interface SparseFunctions {
  rowLists: number;
  columnLists: number;
  /** rows[nv] for nv = 1..SPARSE_CHUNK (index 0 unused). */
  rows: number[];
}

/**
 * sparseGemm(a, ars, acs, b, brs, c, ldc, m, n, k, pos) → entries: c[m, n] = A @ B with
 * A(i, p) at a + i·ars + p·acs, where acs = 4 (rows contiguous) or else ars = 4, and B(p, j)
 * at b + p·brs + 4j; n a multiple of 4. pos is scratch of sparseScratchBytes(m, k). Returns the
 * number of nonzero values of A it used.
 */
export function emitSparseGemm(f: SparseFunctions): Body {
  const code = new Body(new Array<ValType>(11).fill(i32), [i32]);
  const [a, ars, acs, b, brs, c, ldc, m, n, k, pos] = Array.from({ length: 11 }, (_, x) => x);
  const [i, start, end, j, cb, cc, left, used] = code.locals(i32, 8);
  emit(code, localGet(acs), i32Const(4), I32_EQ);
  ifElse(code, () => {
    emit(code, localGet(a), localGet(ars), localGet(brs), localGet(m), localGet(k), localGet(pos),
      call(f.rowLists));
  }, () => {
    emit(code, localGet(a), localGet(acs), localGet(brs), localGet(m), localGet(k), localGet(pos),
      call(f.columnLists));
  });
  emit(code, i32Const(0), localSet(used), i32Const(0), localSet(i));
  forLoop(code, i, m, 1, () => {
    listStart(code, pos, m, k, () => emit(code, localGet(i)));
    emit(code,
      localSet(start),
      localGet(pos), localGet(i), i32Const(4), I32_MUL, I32_ADD, i32Load(), localSet(end),
      localGet(used), localGet(end), localGet(start), I32_SUB, I32_ADD, localSet(used),
      localGet(b), localSet(cb), localGet(c), localGet(i), localGet(ldc), I32_MUL, I32_ADD,
      localSet(cc),
      i32Const(0), localSet(j));
    const chunk = 4 * SPARSE_CHUNK;
    block(code, () => loop(code, () => {
      emit(code,
        localGet(n), localGet(j), I32_SUB, localTee(left), i32Const(chunk), I32_LT_S, brIf(1),
        localGet(start), localGet(end), localGet(cb), localGet(cc), call(f.rows[SPARSE_CHUNK]),
        addTo(j, chunk), addTo(cb, 4 * chunk), addTo(cc, 4 * chunk),
        br(0));
    }));
    // The last 1–7 vectors.
    for (let nv = 1; nv < SPARSE_CHUNK; nv++) {
      emit(code, localGet(left), i32Const(4 * nv), I32_EQ);
      ifElse(code, () => {
        emit(code, localGet(start), localGet(end), localGet(cb), localGet(cc), call(f.rows[nv]));
      });
    }
  });
  emit(code, localGet(used), i32Const(SPARSE_ENTRY), I32_DIV_U);
  return code;
}
