// Generates the sparse weight gradient for one input channel per group (a first layer on
// grey images, C1's conv1): lanes over a kernel row's taps instead of over input channels, so
// no lane idles, and each output channel's sums stay in registers while dy's nonzeros go by.
import { Code, type ModuleBuilder, ValType } from "./encoder.js";
import { scanRow } from "./scatter-loops.js";

const { i32, f32, v128 } = ValType;

/** The kernel sizes it handles: at most TAP_ROWS rows of 4 to 8 taps. */
export const TAP_ROWS = 5;
export const TAP_WIDTH = { min: 4, max: 8 } as const;

/**
 * Words of `tapWeight`'s block (i32; addresses and steps in bytes): dy [n, k, oh, ow]; the
 * padded input x [n, 1, hp, wp] (xImage bytes an image), its steps per output row and column
 * (stride) and per kernel row (dilation; taps of a row are adjacent); the kernel size; dw
 * [k, 1, kh, kw].
 */
export const TAP_WEIGHT_WORDS = [
  "dy", "n", "k", "oh", "ow", "x", "xImage", "xRow", "xCol", "tapRow", "kh", "kw", "out",
] as const;

/**
 * tapWeight(block, k0, k1): for output channels k0 ≤ k < k1, dw[k, 0, r, s] = Σ dy[n, k, y, c] ·
 * x[n, 0, y·sh + r·dh, c·sw + s] over dy's nonzeros in order (n, y, c), as f32 sums from +0.
 * Each kernel row r has two accumulators: taps 0–3 and taps kw−4 … kw−1 (overlapping when
 * kw < 8), every lane its own sum in the same order, so the lanes two of them share agree to
 * the bit; the second is stored after the first, over it. Loads stay inside the taps' window.
 */
function emitTapWeight(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, k0, k1] = [0, 1, 2];
  const w = Object.fromEntries(TAP_WEIGHT_WORDS.map((name, i) => {
    const local = code.local(i32);
    code.get(block).i32Load(4 * i).set(local);
    return [name, local];
  })) as Record<(typeof TAP_WEIGHT_WORDS)[number], number>;
  const [k, img, y, c, q, xb, xRowBase, tail, o] = Array.from({ length: 9 }, () =>
    code.local(i32));
  const a = code.local(v128);
  const v = code.local(f32);
  const lo = Array.from({ length: TAP_ROWS }, () => code.local(v128));
  const hi = Array.from({ length: TAP_ROWS }, () => code.local(v128));
  code.get(w.kw).i32(4).i32Sub().i32(4).i32Mul().set(tail);
  code.get(k0).set(k);
  code.forLoop(k, k1, 1, () => {
    for (let r = 0; r < TAP_ROWS; r++) code.v128Zero().tee(lo[r]).set(hi[r]);
    code.i32(0).set(img);
    code.forLoop(img, w.n, 1, () => {
      // q = dy + ((img·k_total + k)·oh·ow)·4
      code.get(w.dy).get(img).get(w.k).i32Mul().get(k).i32Add().get(w.oh).i32Mul().get(w.ow)
        .i32Mul().i32(4).i32Mul().i32Add().set(q);
      code.get(w.x).get(img).get(w.xImage).i32Mul().i32Add().set(xRowBase);
      code.i32(0).set(y);
      code.forLoop(y, w.oh, 1, () => {
        scanRow(code, q, w.ow, c, v, () => {
          code.get(v).f32x4Splat().set(a);
          code.get(xRowBase).get(c).get(w.xCol).i32Mul().i32Add().set(xb);
          for (let r = 0; r < TAP_ROWS; r++) {
            // Rows past kh are never read (the branch goes the same way all call long).
            const row = (): void => {
              code.get(lo[r]).get(a).get(xb).v128Load().f32x4Mul().f32x4Add().set(lo[r]);
              code.get(hi[r]).get(a).get(xb).get(tail).i32Add().v128Load().f32x4Mul()
                .f32x4Add().set(hi[r]);
            };
            if (r === 0) row();
            else code.get(w.kh).i32(r).i32GtS().if(row);
            if (r < TAP_ROWS - 1) code.get(xb).get(w.tapRow).i32Add().set(xb);
          }
        });
        code.get(xRowBase).get(w.xRow).i32Add().set(xRowBase);
      });
    });
    // out + k·kh·kw·4: row r at + r·kw·4; taps 0–3 from lo, then kw−4 … kw−1 from hi
    code.get(w.out).get(k).get(w.kh).i32Mul().get(w.kw).i32Mul().i32(4).i32Mul().i32Add().set(o);
    for (let r = 0; r < TAP_ROWS; r++) {
      const store = (): void => {
        code.get(o).get(lo[r]).v128Store();
        code.get(o).get(tail).i32Add().get(hi[r]).v128Store();
        code.get(o).get(w.kw).i32(4).i32Mul().i32Add().set(o);
      };
      if (r === 0) store();
      else code.get(w.kh).i32(r).i32GtS().if(store);
    }
  });
  return code;
}

/** Adds `tapWeight` to the module. */
export function addTapWeight(module: ModuleBuilder): void {
  module.add(emitTapWeight(), "tapWeight");
}
