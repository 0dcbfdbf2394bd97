// Generates max pooling for float32 planes: the forward pass with each window's argmax (as
// pool.ts chooses it: first of ties, last NaN, −1 for a window missing the input), and the
// backward scatter.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";

const { i32, f32 } = ValType;

/** Words of the pooling parameter block (i32): buffers as byte addresses, then the geometry. */
export const POOL_WORDS = [
  "x", "out", "indices", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl",
] as const;

function readWords(code: Code, block: Local): Record<(typeof POOL_WORDS)[number], Local> {
  const locals = {} as Record<string, Local>;
  POOL_WORDS.forEach((name, i) => {
    const local = code.local(i32);
    code.get(block).i32Load(4 * i).set(local);
    locals[name] = local;
  });
  return locals as Record<(typeof POOL_WORDS)[number], Local>;
}

/**
 * The taps of a window along one axis: first = start moved past 0 by whole steps, end =
 * min(start + (size − 1)·step + 1, length), from start = pos·stride − pad.
 */
function span(
  code: Code, pos: Local, stride: Local, pad: Local, size: Local, step: Local, length: Local,
  first: Local, end: Local,
): void {
  code.get(pos).get(stride).i32Mul().get(pad).i32Sub().set(first);
  code.get(first).get(size).i32(1).i32Sub().get(step).i32Mul().i32Add().i32(1).i32Add().set(end);
  code.get(end).get(length).get(end).get(length).i32LtS().select().set(end);
  code.block(() => code.loop(() => {
    code.get(first).i32(0).i32GeS().brIf(1);
    code.addTo(first, { local: step });
    code.br(0);
  }));
}

/**
 * vEnd = ow when ow ≥ 4, else 0: where the four-windows-at-a-time loop of a 2×2 kernel ends
 * (with `lastWindows`), the one-by-one loop doing the rest (every window when ow < 4).
 */
function vectorEnd(code: Code, ow: Local, vEnd: Local): void {
  code.get(ow).i32(0).get(ow).i32(4).i32GeS().select().set(vEnd);
}

/**
 * At the top of a four-windows step: when fewer than four windows are left (j > ow − 4), moves
 * j back to ow − 4 and each [pointer, bytes per window] back with it, so the step redoes some
 * windows (the same values written again) instead of leaving a tail to a branchy scalar loop.
 */
function lastWindows(
  code: Code, j: Local, ow: Local, shift: Local, pointers: ReadonlyArray<[Local, number]>,
): void {
  code.get(j).get(ow).i32(4).i32Sub().i32GtS().if(() => {
    code.get(j).get(ow).i32(4).i32Sub().i32Sub().set(shift);
    code.get(j).get(shift).i32Sub().set(j);
    for (const [ptr, bytes] of pointers) {
      code.get(ptr).get(shift).i32(bytes).i32Mul().i32Sub().set(ptr);
    }
  });
}

/** maxPool(block, p0, p1): planes p0 ≤ p < p1 (see POOL_WORDS). */
function emitMaxPool(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, p0, p1] = [0, 1, 2];
  const w = readWords(code, block);
  const [p, y, x, i0, i1, j0, j1, i, j, at, xb, o] =
    Array.from({ length: 12 }, () => code.local(i32));
  const [best, v] = [code.local(f32), code.local(f32)];
  code.get(p0).set(p);
  code.get(w.out).get(p0).get(w.oh).i32Mul().get(w.ow).i32Mul().i32(4).i32Mul().i32Add().set(o);
  code.forLoop(p, p1, 1, () => {
    code.get(w.x).get(p).get(w.h).i32Mul().get(w.w).i32Mul().i32(4).i32Mul().i32Add().set(xb);
    code.i32(0).set(y);
    code.forLoop(y, w.oh, 1, () => {
      span(code, y, w.sh, w.pt, w.kh, w.dh, w.h, i0, i1);
      code.i32(0).set(x);
      code.forLoop(x, w.ow, 1, () => {
        span(code, x, w.sw, w.pl, w.kw, w.dw, w.w, j0, j1);
        code.f32(-Infinity).set(best);
        code.i32(-1).set(at);
        code.get(i0).get(i1).i32LtS().get(j0).get(j1).i32LtS().i32And().if(() => {
          code.get(i0).get(w.w).i32Mul().get(j0).i32Add().set(at);
        });
        code.get(i0).set(i);
        code.forLoop(i, i1, { local: w.dh }, () => {
          code.get(j0).set(j);
          code.forLoop(j, j1, { local: w.dw }, () => {
            code.get(xb).get(i).get(w.w).i32Mul().get(j).i32Add().i32(4).i32Mul().i32Add()
              .f32Load().set(v);
            code.get(v).get(best).f32Gt().get(v).get(v).f32Ne().i32Or().if(() => {
              code.get(v).set(best);
              code.get(i).get(w.w).i32Mul().get(j).i32Add().set(at);
            });
          });
        });
        code.get(o).get(best).f32Store();
        code.get(o).get(w.indices).i32Add().get(w.out).i32Sub().get(at).f32ConvertI32S()
          .f32Store();
        code.addTo(o, 4);
      });
    });
  });
  return code;
}

/**
 * maxPoolBackward(block, p0, p1): planes p0 ≤ p < p1 of dx (the block's x) = 0, then
 * dx[p, indices[o]] += dy[o] (the block's out) where indices[o] ≥ 0, outputs in order.
 */
function emitMaxPoolBackward(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, p0, p1] = [0, 1, 2];
  const w = readWords(code, block);
  const [p, q, inner, plane, dxb, o, at] = Array.from({ length: 7 }, () => code.local(i32));
  code.get(w.oh).get(w.ow).i32Mul().set(inner);
  code.get(w.h).get(w.w).i32Mul().i32(4).i32Mul().set(plane);
  code.get(p0).get(inner).i32Mul().i32(4).i32Mul().set(o);
  code.get(p0).set(p);
  code.forLoop(p, p1, 1, () => {
    code.get(w.x).get(p).get(plane).i32Mul().i32Add().set(dxb);
    code.get(dxb).i32(0).get(plane).memoryFill();
    code.i32(0).set(q);
    code.forLoop(q, inner, 1, () => {
      code.get(w.indices).get(o).i32Add().f32Load().i32TruncF32S().set(at);
      code.get(at).i32(0).i32GeS().if(() => {
        code.get(dxb).get(at).i32(4).i32Mul().i32Add().tee(at);
        code.get(at).f32Load().get(w.out).get(o).i32Add().f32Load().f32Add().f32Store();
      });
      code.addTo(o, 4);
    });
  });
  return code;
}

const floatBytes = (lanes: number[]): number[] =>
  lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b));
const EVEN = floatBytes([0, 2, 4, 6]);
const ODD = floatBytes([1, 3, 5, 7]);

/**
 * maxPool2x2(block, p0, p1): `maxPool` for 2×2 windows at stride 2 without padding or dilation,
 * four outputs at a time: the even and odd columns of two input rows are the four candidates,
 * taken in the scalar kernel's order with the same rule (greater, or NaN), so the values and
 * positions are the same bits. A row's last step redoes some outputs to take the last four
 * (see `lastWindows`); rows of fewer than four go one by one.
 */
function emitMaxPool2x2(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, p0, p1] = [0, 1, 2];
  const w = readWords(code, block);
  const { v128 } = ValType;
  const [p, y, j, vEnd, row, o, toIdx, shift] = Array.from({ length: 8 }, () =>
    code.local(i32));
  const [best, at, pos, offW, offW1, a, b] = Array.from({ length: 7 }, () => code.local(v128));
  const [bestS, v] = [code.local(f32), code.local(f32)];
  const [atS, posS] = [code.local(i32), code.local(i32)];
  vectorEnd(code, w.ow, vEnd);
  code.get(w.indices).get(w.out).i32Sub().set(toIdx);
  code.get(w.w).f32ConvertI32S().f32x4Splat().set(offW);
  code.get(offW).f32x4Const([1, 1, 1, 1]).f32x4Add().set(offW1);
  code.get(w.out).get(p0).get(w.oh).i32Mul().get(w.ow).i32Mul().i32(4).i32Mul().i32Add().set(o);
  // One more candidate (pushed by `value`) at pos + off: taken if greater, or NaN.
  const take = (value: () => void, off: () => void): void => {
    value();
    code.set(a);
    code.get(a).get(best).f32x4Gt().get(a).get(a).f32x4Ne().v128Or().set(b);
    code.get(a).get(best).get(b).v128Bitselect().set(best);
    code.get(pos);
    off();
    code.f32x4Add().get(at).get(b).v128Bitselect().set(at);
  };
  code.get(p0).set(p);
  code.forLoop(p, p1, 1, () => {
    code.i32(0).set(y);
    code.forLoop(y, w.oh, 1, () => {
      // row = x + (plane·h + 2y)·w·4: the window's first row
      code.get(w.x).get(p).get(w.h).i32Mul().get(y).i32(2).i32Mul().i32Add().get(w.w).i32Mul()
        .i32(4).i32Mul().i32Add().set(row);
      code.i32(0).set(j);
      code.forLoop(j, vEnd, 4, () => {
        lastWindows(code, j, w.ow, shift, [[o, 4], [row, 8]]);
        // The even or odd columns of 8 in the first (or second) row.
        const half = (second: boolean, lanes: number[]): void => {
          for (const offset of [0, 16]) {
            code.get(row);
            if (second) code.get(w.w).i32(4).i32Mul().i32Add();
            code.v128Load(offset);
          }
          code.i8x16Shuffle(lanes);
        };
        // pos = 2y·w + 2j + [0, 2, 4, 6]
        code.get(y).i32(2).i32Mul().get(w.w).i32Mul().get(j).i32(2).i32Mul().i32Add()
          .f32ConvertI32S().f32x4Splat().f32x4Const([0, 2, 4, 6]).f32x4Add().set(pos);
        half(false, EVEN);
        code.set(best);
        code.get(pos).set(at);
        take(() => half(false, ODD), () => code.f32x4Const([1, 1, 1, 1]));
        take(() => half(true, EVEN), () => code.get(offW));
        take(() => half(true, ODD), () => code.get(offW1));
        code.get(o).get(best).v128Store();
        code.get(o).get(toIdx).i32Add().get(at).v128Store();
        code.addTo(o, 16);
        code.addTo(row, 32);
      });
      code.forLoop(j, w.ow, 1, () => {
        code.get(y).i32(2).i32Mul().get(w.w).i32Mul().get(j).i32(2).i32Mul().i32Add().set(posS);
        code.get(row).f32Load().set(bestS);
        code.get(posS).set(atS);
        const scalar = (offset: () => void, delta: () => void): void => {
          code.get(row);
          offset();
          code.f32Load().set(v);
          code.get(v).get(bestS).f32Gt().get(v).get(v).f32Ne().i32Or().if(() => {
            code.get(v).set(bestS);
            code.get(posS);
            delta();
            code.set(atS);
          });
        };
        scalar(() => code.i32(4).i32Add(), () => code.i32(1).i32Add());
        scalar(() => code.get(w.w).i32(4).i32Mul().i32Add(), () => code.get(w.w).i32Add());
        scalar(() => code.get(w.w).i32(4).i32Mul().i32(4).i32Add().i32Add(),
          () => code.get(w.w).i32(1).i32Add().i32Add());
        code.get(o).get(bestS).f32Store();
        code.get(o).get(toIdx).i32Add().get(atS).f32ConvertI32S().f32Store();
        code.addTo(o, 4);
        code.addTo(row, 8);
      });
    });
  });
  return code;
}

const LOW_PAIRS = floatBytes([0, 4, 1, 5]);
const HIGH_PAIRS = floatBytes([2, 6, 3, 7]);

/**
 * maxPoolBackward2x2(block, p0, p1): `maxPoolBackward` for 2×2 windows at stride 2 without
 * padding: each window's four positions get 0 + dy (so −0 becomes +0, as 0 + dy does in the
 * scatter) where they are the stored position, else +0 — four windows at a time, written
 * with stores (the windows do not overlap). The same bits as the scatter.
 */
function emitMaxPoolBackward2x2(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, p0, p1] = [0, 1, 2];
  const w = readWords(code, block);
  const { v128 } = ValType;
  const [p, y, j, ow4, row, o, plane, at] = Array.from({ length: 8 }, () => code.local(i32));
  const [pos, offW, offW1, d, idx] = Array.from({ length: 5 }, () => code.local(v128));
  const part = [0, 1, 2, 3].map(() => code.local(v128));
  code.get(w.ow).i32(-4).i32And().set(ow4);
  code.get(w.h).get(w.w).i32Mul().i32(4).i32Mul().set(plane);
  code.get(w.w).f32ConvertI32S().f32x4Splat().set(offW);
  code.get(offW).f32x4Const([1, 1, 1, 1]).f32x4Add().set(offW1);
  code.get(p0).get(w.oh).i32Mul().get(w.ow).i32Mul().i32(4).i32Mul().set(o);
  code.get(p0).set(p);
  code.forLoop(p, p1, 1, () => {
    // dx plane = 0 (rows and columns past 2·oh, 2·ow stay so), then the windows
    code.get(w.x).get(p).get(plane).i32Mul().i32Add().i32(0).get(plane).memoryFill();
    code.i32(0).set(y);
    code.forLoop(y, w.oh, 1, () => {
      code.get(w.x).get(p).get(plane).i32Mul().i32Add()
        .get(y).i32(2).i32Mul().get(w.w).i32Mul().i32(4).i32Mul().i32Add().set(row);
      code.i32(0).set(j);
      code.forLoop(j, ow4, 4, () => {
        code.get(y).i32(2).i32Mul().get(w.w).i32Mul().get(j).i32(2).i32Mul().i32Add()
          .f32ConvertI32S().f32x4Splat().f32x4Const([0, 2, 4, 6]).f32x4Add().set(pos);
        code.get(w.indices).get(o).i32Add().v128Load().set(idx);
        code.get(w.out).get(o).i32Add().v128Load().v128Zero().f32x4Add().set(d);
        const offsets: Array<(() => void) | null> = [
          null, () => code.f32x4Const([1, 1, 1, 1]), () => code.get(offW), () => code.get(offW1),
        ];
        offsets.forEach((off, q) => {
          code.get(d).v128Zero().get(idx).get(pos);
          if (off) { off(); code.f32x4Add(); }
          code.f32x4Eq().v128Bitselect().set(part[q]);
        });
        for (const [r, even, odd] of [[0, 0, 1], [1, 2, 3]] as const) {
          for (const [offset, lanes] of [[0, LOW_PAIRS], [16, HIGH_PAIRS]] as const) {
            code.get(row);
            if (r === 1) code.get(w.w).i32(4).i32Mul().i32Add();
            code.get(part[even]).get(part[odd]).i8x16Shuffle(lanes).v128Store(offset);
          }
        }
        code.addTo(o, 16);
        code.addTo(row, 32);
      });
      code.forLoop(j, w.ow, 1, () => {
        code.get(w.indices).get(o).i32Add().f32Load().i32TruncF32S().set(at);
        code.get(w.x).get(p).get(plane).i32Mul().i32Add().get(at).i32(4).i32Mul().i32Add();
        code.get(w.out).get(o).i32Add().f32Load().f32(0).f32Add().f32Store();
        code.addTo(o, 4);
      });
    });
  });
  return code;
}

/** Adds the max-pooling kernels (general and 2×2 stride 2, forward and backward). */
export function addPoolFunctions(module: ModuleBuilder): void {
  module.add(emitMaxPool(), "maxPool");
  module.add(emitMaxPool2x2(), "maxPool2x2");
  module.add(emitMaxPoolBackward(), "maxPoolBackward");
  module.add(emitMaxPoolBackward2x2(), "maxPoolBackward2x2");
}
