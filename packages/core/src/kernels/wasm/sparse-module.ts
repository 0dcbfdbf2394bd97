// Generates the zero-skipping pieces of the matmul module: A panels without their all-zero
// steps, and the finiteness test of a packed B block that makes skipping them exact.
//
// A step whose MR values of A are all ±0 adds only ±0 products to each sum, provided the B row
// it meets is finite (0·∞ is NaN). Every sum starts at +0, and +0 + ±0 = +0, x + ±0 = x for any
// other x: leaving such steps out gives the same bits. MNIST images are about 80 % zeros.
import { Code, ValType } from "./encoder.js";
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
export function emitCompact(mr: number, nr: number): Code {
  const code = new Code([i32, i32, i32, i32]);
  const [pa, kc, panels, dst] = [0, 1, 2, 3];
  const [q, w, end, count, offset, keep] = [0, 1, 2, 3, 4, 5].map(() => code.local(i32));
  const groups = Math.floor(mr / 4);
  const vectors = Array.from({ length: groups }, () => code.local(v128));
  const scalars = Array.from({ length: mr - 4 * groups }, () => code.local(f32));
  const step = compactStep(mr);
  code.i32(0).set(q);
  code.forLoop(q, panels, 1, () => {
    code.get(dst).i32(COMPACT_HEADER).i32Add().set(w);
    code.i32(0).set(count).i32(0).set(offset);
    code.get(pa).get(kc).i32(4 * mr).i32Mul().i32Add().set(end);
    code.block(() => code.loop(() => {
      code.get(pa).get(end).i32GeU().brIf(1);
      vectors.forEach((v, g) => code.get(w).get(pa).v128Load(16 * g).tee(v).v128Store(16 * g));
      scalars.forEach((x, l) => {
        const at = 4 * (4 * groups + l);
        code.get(w).get(pa).f32Load(at).tee(x).f32Store(at);
      });
      code.get(w).get(offset).i32Store(4 * mr);
      // keep = any value ≠ 0
      vectors.forEach((v, g) => {
        code.get(v).v128Zero().f32x4Ne();
        if (g > 0) code.v128Or();
      });
      if (groups > 0) code.v128AnyTrue();
      scalars.forEach((x, l) => {
        code.get(x).f32(0).f32Ne();
        if (groups > 0 || l > 0) code.i32Or();
      });
      code.set(keep);
      code.get(w).get(keep).i32(step).i32Mul().i32Add().set(w);
      code.addTo(count, { local: keep });
      code.addTo(pa, 4 * mr);
      code.addTo(offset, 4 * nr);
      code.br(0);
    }));
    code.get(dst).get(count).i32Store();
    code.get(dst).get(kc).i32(step).i32Mul().i32(COMPACT_HEADER).i32Add().i32Add().set(dst);
  });
  return code;
}

/**
 * finite(x, count) → 1 if none of the count floats at x (padded to whole vectors) is ±∞ or NaN,
 * else 0: x − x is +0 for every finite x and NaN otherwise. The lanes ≠ 0 are or-ed, a chain of
 * one-cycle steps (a sum of the differences would wait on each addition).
 */
export function emitFinite(): Code {
  const code = new Code([i32, i32], [i32]);
  const [x, count] = [0, 1];
  const [bad, v] = [code.local(v128), code.local(v128)];
  code.v128Zero().set(bad);
  forEachVector(code, x, count, [[x, 16]], () => {
    code.get(x).v128Load().tee(v).get(v).f32x4Sub().v128Zero().f32x4Ne().get(bad).v128Or()
      .set(bad);
  });
  code.get(bad).v128AnyTrue().i32Eqz();
  return code;
}
