// The inner loops of the sparse convolution drivers (scatter-module.ts): visiting a row's
// nonzeros, and the multiply-adds of a row of kernel taps.
import { type Code, type Local, ValType } from "./encoder.js";

const { i32 } = ValType;

/**
 * Visits the nonzero values of a row of `count` floats from `q` (advanced past the row): four
 * at a time, a mask of the nonzero lanes, then a loop over its set bits (lowest first), so
 * the branches follow the count of nonzeros rather than each lane's value (at C1's densities a
 * test per lane mispredicts often); `visit` runs with `v` the value and `x` its column, for
 * each nonzero in order.
 */
export function scanRow(
  code: Code, q: Local, count: Local, x: Local, v: Local, visit: () => void,
): void {
  const [end4, column, mask, lane] = [0, 1, 2, 3].map(() => code.local(i32));
  code.get(count).i32(-4).i32And().set(end4);
  code.i32(0).set(column);
  code.forLoop(column, end4, 4, () => {
    code.get(q).v128Load().v128Zero().f32x4Ne().i32x4Bitmask().set(mask);
    code.block(() => code.loop(() => {
      code.get(mask).i32Eqz().brIf(1);
      code.get(mask).i32Ctz().set(lane);
      code.get(mask).get(mask).i32(1).i32Sub().i32And().set(mask);
      code.get(q).get(lane).i32(4).i32Mul().i32Add().f32Load().set(v);
      code.get(column).get(lane).i32Add().set(x);
      visit();
      code.br(0);
    }));
    code.addTo(q, 16);
  });
  code.forLoop(column, count, 1, () => {
    code.get(q).f32Load().tee(v).f32(0).f32Ne().if(() => {
      code.get(column).set(x);
      visit();
    });
    code.addTo(q, 4);
  });
}

/**
 * dst[j] += a·w[j] for the V vectors at `dst` + dstOff and `w` + wOff (byte addresses in
 * locals, constant offsets).
 */
export function madd(
  code: Code, vectors: number, dst: Local, a: Local, w: Local, dstOff = 0, wOff = 0,
): void {
  for (let j = 0; j < vectors; j++) {
    code.get(dst).get(dst).v128Load(dstOff + 16 * j).get(a).get(w).v128Load(wOff + 16 * j)
      .f32x4Mul().f32x4Add().v128Store(dstOff + 16 * j);
  }
}

/**
 * Kernel widths whose row of taps is unrolled: no loop per tap, weights (or accumulator rows)
 * at constant offsets. (C1's 5 × 5: 7-12 % faster sparse gradients; 3 × 3 the common case.)
 * Only for drivers of at most UNROLL_VECTORS channel vectors: with 8 (conv2's forward in C1)
 * a tap's own work hides the loop, and it measured no faster unrolled.
 */
const UNROLLED_WIDTHS = [5, 3];
const UNROLL_VECTORS = 4;

/**
 * A row of `kw` taps, for a driver of `vectors` channel vectors: `tap(s)` for s = 0, 1, … in
 * order, with s a compile-time constant when kw is one of UNROLLED_WIDTHS (and vectors at most
 * UNROLL_VECTORS), else a loop (`tap(null)`); `next(s, width)` after each tap.
 */
export function tapRow(
  code: Code, vectors: number, kw: Local, s: Local, tap: (s: number | null) => void,
  next: (s: number | null, width: number) => void,
): void {
  const loop = (): void => {
    code.i32(0).set(s);
    code.forLoop(s, kw, 1, () => { tap(null); next(null, 0); });
  };
  const chain = (i: number): void => {
    if (i === UNROLLED_WIDTHS.length || vectors > UNROLL_VECTORS) { loop(); return; }
    const width = UNROLLED_WIDTHS[i];
    code.get(kw).i32(width).i32Eq().if(() => {
      for (let t = 0; t < width; t++) { tap(t); next(t, width); }
    }, () => chain(i + 1));
  };
  chain(0);
}
