// Generates the sparse convolution drivers: each nonzero value of a sparse operand (a relu or
// max-pool output, an MNIST image, a pooled gradient) adds its products into an image-major
// (NHWC) buffer, channels in f32x4 lanes; the zeros cost one test each.
//
// Products with a zero are left out: they are ±0, and the sums start at +0, so leaving them out
// changes no bit provided the other operand is finite (the caller checks it). The order of the
// additions differs from the dense tiles' (nonzeros in order, then taps), so the two paths round
// differently; each is deterministic, and which runs depends only on the data.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";
import { addScanFunctions } from "./scan-module.js";
import { addTapWeight } from "./tap-weight-module.js";
import { madd, scanRow, tapRow } from "./scatter-loops.js";

const { i32, f32, v128 } = ValType;

/** Channel vectors (4 lanes each) per group the drivers handle: one version per count. */
export const SCATTER_VECTORS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/**
 * Words of `scatterConv`'s block (i32; addresses and strides in bytes): the sparse source
 * [n, chans, h, w]; the NHWC accumulator dst [n][hq][wq] positions of `lanes` bytes (source
 * position (y, x) lands at dst + shift + (y·wq + x)·lanes, before the tap steps); weights
 * per source channel (wChannel bytes: kh·kw rows of the group's vectors, in the order taps
 * are visited); then the cropped NCHW output [n, outChans, oh, ow] read at position
 * (y + offY, x + offX), with bias and relu.
 */
export const SCATTER_WORDS = [
  "src", "srcImage", "chans", "h", "w", "groupChans", "dst", "dstImage", "shift", "hq", "wq",
  "lanes",
  "groupLanes", "wblk", "wChannel", "kh", "kw", "rowStep", "colStep", "out", "outImage",
  "outChans", "outGroupChans", "oh", "ow", "offY", "offX", "bias", "relu",
] as const;

/**
 * Words of `scatterWeight`'s block: dy [n, k, oh, ow] (sparse); the padded input in NHWC, xq
 * [n][hp][wp] positions of `lanes` bytes; its steps per output row and column (stride) and per
 * tap row and column (dilation); the accumulator (kh·kw rows of the group's vectors per output
 * channel); dw [k, cg, kh, kw].
 */
export const SCATTER_WEIGHT_WORDS = [
  "dy", "n", "k", "oh", "ow", "kg", "xq", "xqImage", "xRow", "xCol", "tapRow", "tapCol",
  "groupLanes", "acc", "kh", "kw", "out", "cg",
] as const;

type Words<T extends readonly string[]> = Record<T[number], Local>;

function readWords<T extends readonly string[]>(code: Code, block: Local, names: T): Words<T> {
  const locals = {} as Record<string, Local>;
  names.forEach((name, i) => {
    const local = code.local(i32);
    code.get(block).i32Load(4 * i).set(local);
    locals[name] = local;
  });
  return locals as Words<T>;
}

const floatBytes = (lanes: number[]): number[] =>
  lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b));
const PAIRS_LOW = floatBytes([0, 4, 1, 5]);
const PAIRS_HIGH = floatBytes([2, 6, 3, 7]);
const HALVES_LOW = floatBytes([0, 1, 4, 5]);
const HALVES_HIGH = floatBytes([2, 3, 6, 7]);

/**
 * The crop of image `dimg`: out[n, k, y, x] = dst[y + offY][x + offX][lane of k] (0 outside
 * dst), + bias[k], relu — rounded as the dense tiles round (the sum, then one f32 add). Four
 * channels of one group × four columns are transposed at a time where the row lies inside
 * dst; the rest (the last ow mod 4 columns, channels across a group's end) one by one.
 */
function crop(code: Code, w: Words<typeof SCATTER_WORDS>, n: Local, dimg: Local): void {
  const [k0, k, g, y, x, qy, qx, src, ow4, xStart, vecOk] = Array.from({ length: 11 }, () =>
    code.local(i32));
  const acc = code.local(f32);
  const v = [0, 1, 2, 3].map(() => code.local(v128));
  const t = [0, 1, 2, 3].map(() => code.local(v128));
  const zero = code.local(v128);
  code.v128Zero().set(zero);
  code.get(w.ow).i32(-4).i32And().set(ow4);
  // out + ((n·outChans + k)·oh + y)·ow·4 + x·4, for channel `chan` (pushes k or k + c)
  const outAt = (chan: () => void): void => {
    code.get(w.out).get(n).get(w.outImage).i32Mul().i32Add();
    chan();
    code.get(w.oh).i32Mul().get(y).i32Add().get(w.ow).i32Mul().get(x).i32Add().i32(4).i32Mul()
      .i32Add();
  };
  // dst position (qy, qx) of image dimg + the byte lane of channel k in group g
  const srcAt = (): void => {
    code.get(dimg).get(qy).get(w.wq).i32Mul().get(qx).i32Add().get(w.lanes).i32Mul().i32Add()
      .get(g).get(w.groupLanes).i32Mul().i32Add()
      .get(k).get(g).get(w.outGroupChans).i32Mul().i32Sub().i32(4).i32Mul().i32Add();
  };
  code.i32(0).set(k0);
  code.forLoop(k0, w.outChans, 4, () => {
    code.get(k0).get(w.outGroupChans).i32DivU().set(g);
    // four channels of one group, and the rows' columns inside dst
    code.get(k0).get(g).get(w.outGroupChans).i32Mul().i32Sub().i32(4).i32Add()
      .get(w.outGroupChans).i32LeS()
      .get(w.offX).i32(0).i32GeS().i32And()
      .get(w.offX).get(w.ow).i32Add().get(w.wq).i32LeS().i32And().set(vecOk);
    code.i32(0).set(y);
    code.forLoop(y, w.oh, 1, () => {
      code.get(y).get(w.offY).i32Add().set(qy);
      code.i32(0).set(xStart);
      code.get(vecOk).get(qy).get(w.hq).i32LtU().i32And().if(() => {
        code.get(k0).set(k);
        code.i32(0).set(x);
        code.forLoop(x, ow4, 4, () => {
          code.get(x).get(w.offX).i32Add().set(qx);
          srcAt();
          code.set(src);
          for (let i = 0; i < 4; i++) {
            code.get(src).v128Load().set(v[i]);
            if (i < 3) code.get(src).get(w.lanes).i32Add().set(src);
          }
          code.get(v[0]).get(v[1]).i8x16Shuffle(PAIRS_LOW).set(t[0]);
          code.get(v[0]).get(v[1]).i8x16Shuffle(PAIRS_HIGH).set(t[1]);
          code.get(v[2]).get(v[3]).i8x16Shuffle(PAIRS_LOW).set(t[2]);
          code.get(v[2]).get(v[3]).i8x16Shuffle(PAIRS_HIGH).set(t[3]);
          code.get(t[0]).get(t[2]).i8x16Shuffle(HALVES_LOW).set(v[0]);
          code.get(t[0]).get(t[2]).i8x16Shuffle(HALVES_HIGH).set(v[1]);
          code.get(t[1]).get(t[3]).i8x16Shuffle(HALVES_LOW).set(v[2]);
          code.get(t[1]).get(t[3]).i8x16Shuffle(HALVES_HIGH).set(v[3]);
          for (let c = 0; c < 4; c++) {
            code.get(w.bias).if(() => {
              code.get(v[c]).get(w.bias).get(k0).i32(c).i32Add().i32(4).i32Mul().i32Add()
                .v128Load32Splat().f32x4Add().set(v[c]);
            });
            code.get(w.relu).if(() => {
              code.get(zero).get(v[c]).get(v[c]).get(zero).f32x4Le().v128Bitselect().set(v[c]);
            });
            outAt(() => code.get(k0).i32(c).i32Add());
            code.get(v[c]).v128Store();
          }
        });
        code.get(ow4).set(xStart);
      });
      // The columns left, channel by channel (those that exist).
      code.get(k0).set(k);
      code.block(() => code.loop(() => {
        code.get(k).get(k0).i32(4).i32Add().i32GeS().get(k).get(w.outChans).i32GeS().i32Or()
          .brIf(1);
        code.get(k).get(w.outGroupChans).i32DivU().set(g);
        code.get(xStart).set(x);
        code.forLoop(x, w.ow, 1, () => {
          code.get(x).get(w.offX).i32Add().set(qx);
          code.f32(0).set(acc);
          code.get(qy).get(w.hq).i32LtU().get(qx).get(w.wq).i32LtU().i32And().if(() => {
            srcAt();
            code.f32Load().set(acc);
          });
          code.get(w.bias).if(() => {
            code.get(acc).get(w.bias).get(k).i32(4).i32Mul().i32Add().f32Load().f32Add()
              .set(acc);
          });
          code.get(w.relu).if(() => {
            code.f32(0).get(acc).get(acc).f32(0).f32Le().select().set(acc);
          });
          outAt(() => code.get(k));
          code.get(acc).f32Store();
        });
        code.addTo(k, 1);
        code.br(0);
      }));
    });
  });
}

/**
 * scatterConv{V}(block, n0, n1): for images n0 ≤ n < n1 — dst image = 0; every nonzero v =
 * src[n, c, y, x] adds v·(its weights) over the kh×kw taps at positions (y + r·?, x + s·?)
 * given by rowStep and colStep from (y, x), into the vectors of c's group; then the crop into
 * out with bias and relu. The forward pass and the input gradient (stride 1) both take this
 * form, with their weights laid out in the order the taps are visited.
 */
function emitScatterConv(vectors: number): Code {
  const code = new Code([i32, i32, i32]);
  const [block, n0, n1] = [0, 1, 2];
  const w = readWords(code, block, SCATTER_WORDS);
  const [n, c, y, x, r, s, q, base, ptr, wb, dimg] = Array.from({ length: 11 }, () =>
    code.local(i32));
  const [k, g, qy, qx, o] = [0, 1, 2, 3, 4].map(() => code.local(i32));
  const a = code.local(v128);
  const [v, acc] = [code.local(f32), code.local(f32)];
  code.get(n0).set(n);
  code.forLoop(n, n1, 1, () => {
    code.get(w.dst).get(n).get(w.dstImage).i32Mul().i32Add().set(dimg);
    code.get(dimg).i32(0).get(w.dstImage).memoryFill();
    code.get(w.src).get(n).get(w.srcImage).i32Mul().i32Add().set(q);
    code.i32(0).set(c);
    code.forLoop(c, w.chans, 1, () => {
      code.i32(0).set(y);
      code.forLoop(y, w.h, 1, () => {
        scanRow(code, q, w.w, x, v, () => {
          code.get(v).f32x4Splat().set(a);
          // base = dst image + shift + (y·wq + x)·lanes + group(c)·groupLanes
          code.get(dimg).get(w.shift).i32Add().get(y).get(w.wq).i32Mul().get(x).i32Add()
            .get(w.lanes).i32Mul().i32Add().get(c).get(w.groupChans).i32DivU()
            .get(w.groupLanes).i32Mul().i32Add().set(base);
          code.get(w.wblk).get(c).get(w.wChannel).i32Mul().i32Add().set(wb);
          code.i32(0).set(r);
          code.forLoop(r, w.kh, 1, () => {
            code.get(base).set(ptr);
            tapRow(code, vectors, w.kw, s,
              (t) => madd(code, vectors, ptr, a, wb, 0, 16 * vectors * (t ?? 0)), (t, width) => {
                if (t === null) code.addTo(wb, 16 * vectors);
                else if (t === width - 1) code.addTo(wb, 16 * vectors * width);
                code.addTo(ptr, { local: w.colStep });
              });
            code.addTo(base, { local: w.rowStep });
          });
        });
      });
    });
    crop(code, w, n, dimg);
  });
  return code;
}

/**
 * scatterWeight{V}(block, k0, k1): for output channels k0 ≤ k < k1 — acc = 0; every nonzero
 * v = dy[n, k, y, x] adds v·xq[n][y·sh + r·dh][x·sw + s·dw] (the vectors of k's group) into
 * acc row (r, s); then dw[k, c, r, s] = acc row (r, s) lane c for c < cg.
 */
function emitScatterWeight(vectors: number): Code {
  const code = new Code([i32, i32, i32]);
  const [block, k0, k1] = [0, 1, 2];
  const w = readWords(code, block, SCATTER_WEIGHT_WORDS);
  const [k, img, y, x, r, s, q, xb, ptr, src, accK, taps, o, c] = Array.from({ length: 14 },
    () => code.local(i32));
  const a = code.local(v128);
  const v = code.local(f32);
  code.get(w.kh).get(w.kw).i32Mul().set(taps);
  code.get(k0).set(k);
  code.forLoop(k, k1, 1, () => {
    code.get(w.acc).get(k).get(taps).i32Mul().i32(16 * vectors).i32Mul().i32Add().set(accK);
    code.get(accK).i32(0).get(taps).i32(16 * vectors).i32Mul().memoryFill();
    code.i32(0).set(img);
    code.forLoop(img, w.n, 1, () => {
      // q = dy + ((img·k_total + k)·oh·ow)·4
      code.get(w.dy).get(img).get(w.k).i32Mul().get(k).i32Add().get(w.oh).i32Mul().get(w.ow)
        .i32Mul().i32(4).i32Mul().i32Add().set(q);
      code.i32(0).set(y);
      code.forLoop(y, w.oh, 1, () => {
        scanRow(code, q, w.ow, x, v, () => {
          code.get(v).f32x4Splat().set(a);
          code.get(w.xq).get(img).get(w.xqImage).i32Mul().i32Add().get(y).get(w.xRow).i32Mul()
            .i32Add().get(x).get(w.xCol).i32Mul().i32Add()
            .get(k).get(w.kg).i32DivU().get(w.groupLanes).i32Mul().i32Add().set(xb);
          code.get(accK).set(ptr);
          code.i32(0).set(r);
          code.forLoop(r, w.kh, 1, () => {
            code.get(xb).set(src);
            tapRow(code, vectors, w.kw, s,
              (t) => madd(code, vectors, ptr, a, src, 16 * vectors * (t ?? 0)), (t, width) => {
                if (t === null) code.addTo(ptr, 16 * vectors);
                else if (t === width - 1) code.addTo(ptr, 16 * vectors * width);
                code.addTo(src, { local: w.tapCol });
              });
            code.addTo(xb, { local: w.tapRow });
          });
        });
      });
    });
    // dw[k, c, r, s] = acc[(r·kw + s)·V·4 + c]
    code.get(w.out).get(k).get(w.cg).i32Mul().get(taps).i32Mul().i32(4).i32Mul().i32Add().set(o);
    code.i32(0).set(c);
    code.forLoop(c, w.cg, 1, () => {
      code.get(accK).get(c).i32(4).i32Mul().i32Add().set(ptr);
      code.i32(0).set(r);
      code.forLoop(r, taps, 1, () => {
        code.get(o).get(ptr).f32Load().f32Store();
        code.addTo(o, 4);
        code.addTo(ptr, 16 * vectors);
      });
    });
  });
  return code;
}

/**
 * toNhwc(src, dst, n0, n1, chans, plane, groupChans, lanes, groupLanes): images n0 ≤ n < n1
 * of src [n, chans, plane] into dst [n][plane] positions of `lanes` bytes, channel c at lane
 * ⌊c / groupChans⌋·groupLanes/4 + c mod groupChans; dst is zeroed first (unused lanes stay 0).
 */
function emitToNhwc(): Code {
  const code = new Code(new Array<ValType>(9).fill(i32));
  const [src, dst, n0, n1, chans, plane, groupChans, lanes, groupLanes] =
    Array.from({ length: 9 }, (_, i) => i);
  const [n, c, p, q, d, dimg] = Array.from({ length: 6 }, () => code.local(i32));
  code.get(n0).set(n);
  code.forLoop(n, n1, 1, () => {
    code.get(dst).get(n).get(plane).i32Mul().get(lanes).i32Mul().i32Add().set(dimg);
    code.get(dimg).i32(0).get(plane).get(lanes).i32Mul().memoryFill();
    code.get(src).get(n).get(chans).i32Mul().get(plane).i32Mul().i32(4).i32Mul().i32Add().set(q);
    code.i32(0).set(c);
    code.forLoop(c, chans, 1, () => {
      code.get(dimg).get(c).get(groupChans).i32DivU().get(groupLanes).i32Mul().i32Add()
        .get(c).get(groupChans).i32RemU().i32(4).i32Mul().i32Add().set(d);
      code.i32(0).set(p);
      code.forLoop(p, plane, 1, () => {
        code.get(d).get(q).f32Load().f32Store();
        code.addTo(q, 4);
        code.addTo(d, { local: lanes });
      });
    });
  });
  return code;
}

/** The names of the exported sparse drivers. */
export const SCATTER_EXPORTS = [
  ...SCATTER_VECTORS.map((v) => `scatterConv${v}`),
  ...SCATTER_VECTORS.map((v) => `scatterWeight${v}`),
  "toNhwc", "tapWeight",
] as const;

/**
 * Adds the sparse drivers, `toNhwc`, the scans (scan-module.ts) and the single-channel weight
 * gradient (tap-weight-module.ts) to the module.
 */
export function addScatterFunctions(module: ModuleBuilder): void {
  for (const v of SCATTER_VECTORS) module.add(emitScatterConv(v), `scatterConv${v}`);
  for (const v of SCATTER_VECTORS) module.add(emitScatterWeight(v), `scatterWeight${v}`);
  module.add(emitToNhwc(), "toNhwc");
  addScanFunctions(module);
  addTapWeight(module);
}
