// Generates the row-sparse product for a left operand with many zeros (a batch of images, 80 %
// zeros): each row of A as a list of its nonzero values with their B row offsets, then each row
// of C as the sum of those B rows, eight vectors of columns at a time.
//
// Leaving out the steps where A is ±0 gives the bits of the dense sum, provided B is finite
// (see sparse-module.ts): the runner checks B. Each sum adds its products in increasing p with
// the dense micro-kernel's operations (acc + a·b, or its relaxed madd), so the bits are the
// dense kernel's too.
import { Code, ValType } from "./encoder.js";
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
function listStart(code: Code, pos: number, m: number, k: number, i: () => void): void {
  code.get(pos).get(m).i32(4).i32Mul().i32(15).i32Add().i32(-16).i32And().i32Add();
  i();
  code.get(k).i32Mul().i32(SPARSE_ENTRY).i32Mul().i32Add();
}

/**
 * Appends entries (off + lane·brs, lane's value) for the four lanes of `v` (the nonzero ones
 * set in `mask`) to the list ending at w. Every lane is written and w moves past the nonzero
 * ones only: branch-free, since which lanes are nonzero is data and a branch on it would be
 * mispredicted.
 */
function appendLanes(code: Code, v: number, mask: number, off: number, brs: number, w: number) {
  for (let lane = 0; lane < 4; lane++) {
    code.get(w).get(off);
    if (lane > 0) code.get(brs).i32(lane).i32Mul().i32Add();
    code.i32Store();
    code.get(w).get(v).f32x4ExtractLane(lane).f32Store(4);
    code.get(w).get(mask).i32(lane).i32ShrU().i32(1).i32And().i32(3).i32Shl().i32Add().set(w);
  }
}

/**
 * Appends (off, the f32 at `at`) to the list ending at w (w moves on) when that value is not
 * ±0 (NaN counts as not zero). `off` and `at` are pushed by the callbacks.
 */
function appendIfNonzero(code: Code, w: number, at: () => void, off: () => void): void {
  const x = code.local(ValType.f32);
  at();
  code.f32Load().set(x);
  code.get(x).f32(0).f32Ne().if(() => {
    code.get(w);
    off();
    code.i32Store();
    code.get(w).get(x).f32Store(4);
    code.addTo(w, SPARSE_ENTRY);
  });
}

/**
 * rowLists(a, ars, brs, m, k, pos): lists for rows of A stored contiguously (A(i, p) at
 * a + i·ars + 4p): row i's entries (p·brs, A(i, p)) for its values ≠ ±0 in increasing p, from
 * its list start; pos[i] = the end of its list.
 */
export function emitRowLists(): Code {
  const code = new Code([i32, i32, i32, i32, i32, i32]);
  const [a, ars, brs, m, k, pos] = [0, 1, 2, 3, 4, 5];
  const [i, w, row, q, end4, end, off, mask] = Array.from({ length: 8 }, () => code.local(i32));
  const v = code.local(v128);
  code.get(a).set(row);
  code.i32(0).set(i);
  code.forLoop(i, m, 1, () => {
    listStart(code, pos, m, k, () => code.get(i));
    code.set(w);
    code.get(row).tee(q).get(k).i32(-4).i32And().i32(4).i32Mul().i32Add().set(end4);
    code.get(row).get(k).i32(4).i32Mul().i32Add().set(end);
    code.i32(0).set(off);
    // Four values at a time; all-zero ones (most, in an image's margins) cost a test.
    code.block(() => code.loop(() => {
      code.get(q).get(end4).i32GeU().brIf(1);
      code.get(q).v128Load().tee(v).v128Zero().f32x4Ne().i32x4Bitmask().tee(mask);
      code.if(() => appendLanes(code, v, mask, off, brs, w));
      code.addTo(q, 16);
      code.get(off).get(brs).i32(4).i32Mul().i32Add().set(off);
      code.br(0);
    }));
    code.block(() => code.loop(() => {
      code.get(q).get(end).i32GeU().brIf(1);
      appendIfNonzero(code, w, () => code.get(q), () => code.get(off));
      code.addTo(q, 4);
      code.addTo(off, { local: brs });
      code.br(0);
    }));
    code.get(pos).get(i).i32(4).i32Mul().i32Add().get(w).i32Store();
    code.addTo(row, { local: ars });
  });
  return code;
}

/**
 * columnLists(a, acs, brs, m, k, pos): the same lists for A stored by columns (A(i, p) at
 * a + 4i + p·acs, as a transposed operand is): each column of A, in increasing p, appends to
 * the lists of its nonzero rows.
 */
export function emitColumnLists(): Code {
  const code = new Code([i32, i32, i32, i32, i32, i32]);
  const [a, acs, brs, m, k, pos] = [0, 1, 2, 3, 4, 5];
  const [p, i, col, m4, at, off, w] = Array.from({ length: 7 }, () => code.local(i32));
  const [v, nonzero, ends] = [code.local(v128), code.local(v128), code.local(v128)];
  code.get(m).i32(-4).i32And().set(m4);
  code.i32(0).set(i);
  code.forLoop(i, m, 1, () => {
    code.get(pos).get(i).i32(4).i32Mul().i32Add();
    listStart(code, pos, m, k, () => code.get(i));
    code.i32Store();
  });
  code.i32(0).set(p).get(a).set(col).i32(0).set(off);
  code.forLoop(p, k, 1, () => {
    code.i32(0).set(i);
    code.forLoop(i, m4, 4, () => {
      code.get(col).get(i).i32(4).i32Mul().i32Add().v128Load().tee(v).v128Zero().f32x4Ne()
        .tee(nonzero).v128AnyTrue();
      // Rows i..i+3: every lane's entry is written at its row's list end, and the ends of
      // the nonzero lanes move on (branch-free within the four).
      code.if(() => {
        code.get(pos).get(i).i32(4).i32Mul().i32Add().tee(at).v128Load().set(ends);
        for (let lane = 0; lane < 4; lane++) {
          code.get(ends).i32x4ExtractLane(lane).tee(w).get(off).i32Store();
          code.get(w).get(v).f32x4ExtractLane(lane).f32Store(4);
        }
        code.get(at).get(ends).get(nonzero).i32(SPARSE_ENTRY).i32x4Splat().v128And().i32x4Add()
          .v128Store();
      });
    });
    code.forLoop(i, m, 1, () => {
      code.get(pos).get(i).i32(4).i32Mul().i32Add().tee(at).i32Load().set(w);
      appendIfNonzero(code, w, () => code.get(col).get(i).i32(4).i32Mul().i32Add(),
        () => code.get(off));
      code.get(at).get(w).i32Store();
    });
    code.addTo(col, { local: acs });
    code.addTo(off, { local: brs });
  });
  return code;
}

/**
 * sparseRow(q, end, b, c): the nv vectors of C at c = Σ over the list entries from q to end of
 * value · (the nv vectors at b + the entry's B row offset), from +0, in list order.
 */
export function emitSparseRow(cfg: KernelConfig, nv: number): Code {
  const code = new Code([i32, i32, i32, i32]);
  const [q, end, b, c] = [0, 1, 2, 3];
  const acc = Array.from({ length: nv }, () => code.local(v128));
  const [s, bp] = [code.local(v128), code.local(i32)];
  code.v128Zero().set(acc[0]);
  for (let j = 1; j < nv; j++) code.get(acc[0]).set(acc[j]);
  code.block(() => code.loop(() => {
    code.get(q).get(end).i32GeU().brIf(1);
    code.get(b).get(q).i32Load().i32Add().set(bp);
    code.get(q).v128Load32Splat(4).set(s);
    for (let j = 0; j < nv; j++) {
      // The dense micro-kernel's operations in its operand order (sparse-module.ts).
      if (cfg.fma) {
        code.get(s).get(bp).v128Load(16 * j).get(acc[j]).f32x4RelaxedMadd().set(acc[j]);
      } else {
        code.get(acc[j]).get(s).get(bp).v128Load(16 * j).f32x4Mul().f32x4Add().set(acc[j]);
      }
    }
    code.addTo(q, SPARSE_ENTRY);
    code.br(0);
  }));
  for (let j = 0; j < nv; j++) code.get(c).get(acc[j]).v128Store(16 * j);
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
export function emitSparseGemm(f: SparseFunctions): Code {
  const code = new Code(new Array<ValType>(11).fill(i32), [i32]);
  const [a, ars, acs, b, brs, c, ldc, m, n, k, pos] = Array.from({ length: 11 }, (_, x) => x);
  const [i, start, end, j, cb, cc, left, used] = Array.from({ length: 8 },
    () => code.local(i32));
  code.get(acs).i32(4).i32Eq().if(() => {
    code.get(a).get(ars).get(brs).get(m).get(k).get(pos).call(f.rowLists);
  }, () => {
    code.get(a).get(acs).get(brs).get(m).get(k).get(pos).call(f.columnLists);
  });
  code.i32(0).set(used);
  code.i32(0).set(i);
  code.forLoop(i, m, 1, () => {
    listStart(code, pos, m, k, () => code.get(i));
    code.set(start);
    code.get(pos).get(i).i32(4).i32Mul().i32Add().i32Load().set(end);
    code.get(used).get(end).get(start).i32Sub().i32Add().set(used);
    code.get(b).set(cb).get(c).get(i).get(ldc).i32Mul().i32Add().set(cc);
    code.i32(0).set(j);
    const chunk = 4 * SPARSE_CHUNK;
    code.block(() => code.loop(() => {
      code.get(n).get(j).i32Sub().tee(left).i32(chunk).i32LtS().brIf(1);
      code.get(start).get(end).get(cb).get(cc).call(f.rows[SPARSE_CHUNK]);
      code.addTo(j, chunk).addTo(cb, 4 * chunk).addTo(cc, 4 * chunk);
      code.br(0);
    }));
    // The last 1–7 vectors.
    for (let nv = 1; nv < SPARSE_CHUNK; nv++) {
      code.get(left).i32(4 * nv).i32Eq().if(() => {
        code.get(start).get(end).get(cb).get(cc).call(f.rows[nv]);
      });
    }
  });
  code.get(used).i32(SPARSE_ENTRY).i32DivU();
  return code;
}
