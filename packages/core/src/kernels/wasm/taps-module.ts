// Generates the sparse weight gradient for one input channel per group (MNIST's first layer,
// depthwise convolutions): lanes over a row's taps instead of channels, so a nonzero of dy
// costs ⌈kw / 4⌉ vector updates per kernel row rather than kh·kw mostly empty ones.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";

const { i32, f32, v128 } = ValType;

/**
 * Words of `scatterTaps`' block: dy [n, k, oh, ow]; the padded input x [n, c, hp, wp] (with
 * 32 bytes of slack after it: a row's last taps read past its end into lanes that are
 * dropped), bytes per image and per channel plane; x steps per output row and column (stride)
 * and per kernel row (dilation; taps along a row are 4 bytes apart, dilation 1); the
 * accumulator (kh·⌈kw/4⌉ vectors per output channel); dw [k, 1, kh, kw].
 */
export const TAPS_WORDS = [
  "dy", "n", "k", "oh", "ow", "kg", "x", "xImage", "xPlane", "xRow", "xCol", "tapRow", "acc",
  "kh", "kw", "out",
] as const;

/**
 * scatterTaps(block, k0, k1): for output channels k0 ≤ k < k1 — acc = 0; every nonzero v =
 * dy[n, k, y, x] adds v·(4 taps of x's row) to acc[r][j] for each kernel row r and tap vector
 * j, nonzeros in order; then dw[k, 0, r, s] = acc lane s. The other operand must be finite
 * (the caller checks): a left-out zero would otherwise have made NaN.
 */
function emitScatterTaps(): Code {
  const code = new Code([i32, i32, i32]);
  const [block, k0, k1] = [0, 1, 2];
  const w = {} as Record<(typeof TAPS_WORDS)[number], Local>;
  TAPS_WORDS.forEach((name, i) => {
    w[name] = code.local(i32);
    code.get(block).i32Load(4 * i).set(w[name]);
  });
  const [k, img, y, x, r, j, q, xb, src, ptr, accK, vectors, end4, col, o, s] = Array.from(
    { length: 16 }, () => code.local(i32));
  const [a, vec] = [code.local(v128), code.local(v128)];
  const v = code.local(f32);
  code.get(w.kw).i32(3).i32Add().i32(2).i32ShrU().set(vectors);
  // One nonzero: its kernel rows' tap vectors.
  const visit = (): void => {
    code.get(v).f32x4Splat().set(a);
    // xb = x + img·xImage + group(k)·xPlane + y·xRow + x·xCol
    code.get(w.x).get(img).get(w.xImage).i32Mul().i32Add().get(k).get(w.kg).i32DivU()
      .get(w.xPlane).i32Mul().i32Add().get(y).get(w.xRow).i32Mul().i32Add()
      .get(x).get(w.xCol).i32Mul().i32Add().set(xb);
    code.get(accK).set(ptr);
    code.i32(0).set(r);
    code.forLoop(r, w.kh, 1, () => {
      code.get(xb).set(src);
      code.i32(0).set(j);
      code.forLoop(j, vectors, 1, () => {
        code.get(ptr).get(ptr).v128Load().get(a).get(src).v128Load().f32x4Mul().f32x4Add()
          .v128Store();
        code.addTo(ptr, 16);
        code.addTo(src, 16);
      });
      code.addTo(xb, { local: w.tapRow });
    });
  };
  code.get(w.ow).i32(-4).i32And().set(end4);
  code.get(k0).set(k);
  code.forLoop(k, k1, 1, () => {
    code.get(w.acc).get(k).get(w.kh).i32Mul().get(vectors).i32Mul().i32(16).i32Mul().i32Add()
      .set(accK);
    code.get(accK).i32(0).get(w.kh).get(vectors).i32Mul().i32(16).i32Mul().memoryFill();
    code.i32(0).set(img);
    code.forLoop(img, w.n, 1, () => {
      code.get(w.dy).get(img).get(w.k).i32Mul().get(k).i32Add().get(w.oh).i32Mul().get(w.ow)
        .i32Mul().i32(4).i32Mul().i32Add().set(q);
      code.i32(0).set(y);
      code.forLoop(y, w.oh, 1, () => {
        // Four values at a time: one test skips four zeros.
        code.i32(0).set(col);
        code.forLoop(col, end4, 4, () => {
          code.get(q).v128Load().tee(vec).v128Zero().f32x4Ne().v128AnyTrue().if(() => {
            for (let lane = 0; lane < 4; lane++) {
              code.get(vec).f32x4ExtractLane(lane).tee(v).f32(0).f32Ne().if(() => {
                code.get(col).i32(lane).i32Add().set(x);
                visit();
              });
            }
          });
          code.addTo(q, 16);
        });
        code.forLoop(col, w.ow, 1, () => {
          code.get(q).f32Load().tee(v).f32(0).f32Ne().if(() => {
            code.get(col).set(x);
            visit();
          });
          code.addTo(q, 4);
        });
      });
    });
    // dw[k, 0, r, s] = acc[(r·vectors)·16 + 4s]
    code.get(w.out).get(k).get(w.kh).i32Mul().get(w.kw).i32Mul().i32(4).i32Mul().i32Add().set(o);
    code.i32(0).set(r);
    code.forLoop(r, w.kh, 1, () => {
      code.get(accK).get(r).get(vectors).i32Mul().i32(16).i32Mul().i32Add().set(ptr);
      code.i32(0).set(s);
      code.forLoop(s, w.kw, 1, () => {
        code.get(o).get(ptr).f32Load().f32Store();
        code.addTo(o, 4);
        code.addTo(ptr, 4);
      });
    });
  });
  return code;
}

/** Adds `scatterTaps` to the module. */
export function addTapsFunctions(module: ModuleBuilder): void {
  module.add(emitScatterTaps(), "scatterTaps");
}
