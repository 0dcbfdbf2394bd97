// Generates the convolution drivers: loops over images, channel groups and output rows that
// call the direct-convolution tiles (conv-tile.ts) with addresses read from a parameter block.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";
import type { ModuleExtension } from "./extensions.js";
import { TILE_PARAMS, emitConvTile } from "./conv-tile.js";
import { emitPack } from "./pack-module.js";
import { addPoolFunctions } from "./pool-module.js";
import { SCATTER_EXPORTS, addScatterFunctions } from "./scatter-module.js";

const { i32 } = ValType;

/** The tile every driver uses: 5 image values × 2 vectors (8 channels): 10 accumulators. */
export const TILE = { splat: 5, vectors: 2 } as const;
/** Channels per tile (lanes). */
export const TILE_LANES = 4 * TILE.vectors;

/**
 * Words of the forward driver's parameter block (i32, byte addresses and strides). The same
 * driver runs the input gradient (a convolution of the padded, dilated output gradient).
 */
export const FORWARD_WORDS = [
  "src", "srcImage", "srcGroup", "srcRow", "srcCol", "tab", "outer", "inner", "istride",
  "wpk", "wpkGroup", "wpkChunk", "chunks", "kg", "out", "outImage", "outChannel", "oh", "ow",
  "bias", "relu", "groups",
  // Zero skipping (spans = 0: none): the row spans (see `emitRowSpans`) of src, bytes per image,
  // group and output row in them, the entries' offsets (spanTab), the column step of an output
  // pixel (sw) and the extent of a row of taps, dw·(kw − 1).
  "spans", "spanImage", "spanGroup", "spanRow", "spanTab", "sw", "tapExtent",
] as const;

/**
 * Words of the weight-gradient driver's block: tiles are (group, channel chunk, input channel,
 * kernel row, tap chunk); each sums over every image and output pixel.
 */
export const WEIGHT_WORDS = [
  "src", "srcGroup", "srcPlane", "srcTapRow", "ls", "tab", "outer", "inner", "istride",
  "dyt", "dytChunk", "chunks", "kg", "cg", "kh", "kw", "out",
  // Zero skipping (spans = 0: none): the row spans of src, bytes per group, channel and kernel
  // row in them, the entries' offsets, the last output column's first tap column (ow−1)·sw,
  // and the tap step dw.
  "spans", "spanGroup", "spanPlane", "spanTapRow", "spanTab", "colLast", "dw",
] as const;

type Words<T extends readonly string[]> = Record<T[number], Local>;

/** Reads the block's words into locals. */
function readWords<T extends readonly string[]>(code: Code, block: Local, names: T): Words<T> {
  const locals = {} as Record<string, Local>;
  names.forEach((name, w) => {
    const local = code.local(i32);
    code.get(block).i32Load(4 * w).set(local);
    locals[name] = local;
  });
  return locals as Words<T>;
}

/** Pushes min(a, b) of two i32 values given as emitters. */
function min(code: Code, a: () => void, b: () => void): void {
  a(); b(); a(); b(); code.i32LtS().select();
}

/** Calls tiles[t] for the runtime row count in `t` (1..tiles.length − 1), args pushed by `args`. */
function callTile(code: Code, tiles: number[], t: Local, args: () => void): void {
  const chain = (rows: number): void => {
    if (rows === 1) { args(); code.call(tiles[1]); return; }
    code.get(t).i32(rows).i32Eq()
      .if(() => { args(); code.call(tiles[rows]); }, () => chain(rows - 1));
  };
  chain(tiles.length - 1);
}

/**
 * convForward(block, n0, n1): out[n, k, oh, ow] = Σ w·src over images n0 ≤ n < n1 (see
 * FORWARD_WORDS): for each image, group, chunk of 8 output channels and output row, tiles of
 * 5 output pixels; `src` is the padded input, `tab` the offsets of the (input channel, kernel
 * row) rows of taps relative to an output pixel's corner, `wpk` the packed weights.
 */
function emitForward(tiles: number[]): Code {
  const code = new Code([i32, i32, i32]);
  const [block, n0, n1] = [0, 1, 2];
  const w = readWords(code, block, FORWARD_WORDS);
  const [n, g, c, oh, ow, t, lanes] = [0, 1, 2, 3, 4, 5, 6].map(() => code.local(i32));
  const [srcG, outC, b, biasPtr, s, o] = [0, 1, 2, 3, 4, 5].map(() => code.local(i32));
  const [spanG, spanBase] = [code.local(i32), code.local(i32)];
  const T = TILE.splat;
  code.get(n0).set(n);
  code.forLoop(n, n1, 1, () => {
    code.i32(0).set(g);
    code.forLoop(g, w.groups, 1, () => {
      code.i32(0).set(c);
      code.forLoop(c, w.chunks, 1, () => {
        // lanes = min(8, kg − 8c); channel k0 = g·kg + 8c
        min(code, () => code.i32(TILE_LANES),
          () => code.get(w.kg).get(c).i32(TILE_LANES).i32Mul().i32Sub());
        code.set(lanes);
        code.get(w.wpk).get(g).get(w.wpkGroup).i32Mul().i32Add()
          .get(c).get(w.wpkChunk).i32Mul().i32Add().set(b);
        const k0 = (): void => {
          code.get(g).get(w.kg).i32Mul().get(c).i32(TILE_LANES).i32Mul().i32Add();
        };
        code.get(w.bias).if(() => {
          code.get(w.bias); k0(); code.i32(4).i32Mul().i32Add().set(biasPtr);
        }, () => code.i32(0).set(biasPtr));
        code.get(w.out).get(n).get(w.outImage).i32Mul().i32Add();
        k0(); code.get(w.outChannel).i32Mul().i32Add().set(outC);
        code.get(w.src).get(n).get(w.srcImage).i32Mul().i32Add()
          .get(g).get(w.srcGroup).i32Mul().i32Add().set(srcG);
        code.get(w.spans).get(n).get(w.spanImage).i32Mul().i32Add()
          .get(g).get(w.spanGroup).i32Mul().i32Add().set(spanG);
        code.i32(0).set(oh);
        code.forLoop(oh, w.oh, 1, () => {
          code.i32(0).set(ow);
          code.forLoop(ow, w.ow, T, () => {
            min(code, () => code.i32(T), () => code.get(w.ow).get(ow).i32Sub());
            code.set(t);
            code.get(srcG).get(oh).get(w.srcRow).i32Mul().i32Add()
              .get(ow).get(w.srcCol).i32Mul().i32Add().set(s);
            code.get(outC).get(oh).get(w.ow).i32Mul().get(ow).i32Add().i32(4).i32Mul().i32Add()
              .set(o);
            code.get(spanG).get(oh).get(w.spanRow).i32Mul().i32Add().set(spanBase);
            callTile(code, tiles, t, () => {
              code.get(s).get(w.tab).get(w.outer).get(w.inner).get(w.istride).get(b).get(o)
                .get(w.outChannel).i32(4).get(lanes).get(biasPtr).get(w.relu).get(w.srcCol);
              // spanTab (0 without spans), spanBase, colLo = ow·sw, colHi = (ow+t−1)·sw + extent
              code.get(w.spanTab).i32(0).get(w.spans).select();
              code.get(spanBase).get(ow).get(w.sw).i32Mul();
              code.get(ow).get(t).i32Add().i32(1).i32Sub().get(w.sw).i32Mul().get(w.tapExtent)
                .i32Add();
            });
          });
        });
      });
    });
  });
  return code;
}

/**
 * convWeight(block, t0, t1): weight-gradient tiles t0 ≤ t < t1 of the list (group, chunk of 8
 * output channels, input channel, kernel row, chunk of 5 taps) — see WEIGHT_WORDS. Each tile
 * sums src taps × the transposed output gradient `dyt` over `outer` rows (a table of image
 * and output-row offsets) of `inner` output pixels, and stores the finished sums.
 */
function emitWeight(tiles: number[]): Code {
  const code = new Code([i32, i32, i32]);
  const [block, t0, t1] = [0, 1, 2];
  const w = readWords(code, block, WEIGHT_WORDS);
  const [tile, rest, g, c, ci, r, s0, t, lanes] = Array.from({ length: 9 }, () => code.local(i32));
  const [taps, s, b, o, sChunks] = [0, 1, 2, 3, 4].map(() => code.local(i32));
  const T = TILE.splat;
  code.get(w.kw).i32(T - 1).i32Add().i32(T).i32DivU().set(sChunks);
  code.get(w.kh).get(w.kw).i32Mul().set(taps);
  code.get(t0).set(tile);
  code.forLoop(tile, t1, 1, () => {
    // tile = (((g·chunks + c)·cg + ci)·kh + r)·sChunks + sc
    const divmod = (size: Local, into: Local): void => {
      code.get(rest).get(size).i32DivU().set(s).get(rest).get(s).get(size).i32Mul().i32Sub()
        .set(into).get(s).set(rest);
    };
    code.get(tile).set(rest);
    divmod(sChunks, s0);
    code.get(s0).i32(T).i32Mul().set(s0);
    divmod(w.kh, r);
    divmod(w.cg, ci);
    divmod(w.chunks, c);
    code.get(rest).set(g);
    min(code, () => code.i32(TILE_LANES),
      () => code.get(w.kg).get(c).i32(TILE_LANES).i32Mul().i32Sub());
    code.set(lanes);
    min(code, () => code.i32(T), () => code.get(w.kw).get(s0).i32Sub());
    code.set(t);
    code.get(w.src).get(g).get(w.srcGroup).i32Mul().i32Add()
      .get(ci).get(w.srcPlane).i32Mul().i32Add().get(r).get(w.srcTapRow).i32Mul().i32Add()
      .get(s0).get(w.ls).i32Mul().i32Add().set(s);
    code.get(w.dyt).get(g).get(w.chunks).i32Mul().get(c).i32Add().get(w.dytChunk).i32Mul()
      .i32Add().set(b);
    // out + ((g·kg + 8c)·cg·taps + ci·taps + r·kw + s0)·4; lanes step over output channels
    code.get(w.out);
    code.get(g).get(w.kg).i32Mul().get(c).i32(TILE_LANES).i32Mul().i32Add()
      .get(w.cg).i32Mul().get(taps).i32Mul();
    code.get(ci).get(taps).i32Mul().i32Add().get(r).get(w.kw).i32Mul().i32Add().get(s0).i32Add();
    code.i32(4).i32Mul().i32Add().set(o);
    callTile(code, tiles, t, () => {
      code.get(s).get(w.tab).get(w.outer).get(w.inner).get(w.istride).get(b).get(o)
        .get(w.cg).get(taps).i32Mul().i32(4).i32Mul().i32(4).get(lanes).i32(0).i32(0)
        .get(w.ls);
      // spanTab, spanBase (this channel and kernel row), colLo = s0·dw, colHi = colLast +
      // (s0 + t − 1)·dw
      code.get(w.spanTab).i32(0).get(w.spans).select();
      code.get(w.spans).get(g).get(w.spanGroup).i32Mul().i32Add().get(ci).get(w.spanPlane)
        .i32Mul().i32Add().get(r).get(w.spanTapRow).i32Mul().i32Add();
      code.get(s0).get(w.dw).i32Mul();
      code.get(w.colLast).get(s0).get(t).i32Add().i32(1).i32Sub().get(w.dw).i32Mul().i32Add();
    });
  });
  return code;
}

/**
 * convPad(x, out, p0, p1, h, w, hp, wp, top, left, sh, sw, j0, j1): planes p0 ≤ p < p1 of
 * out [hp, wp] = 0, then out[p, top + i·sh, left + j·sw] = x[p, i, j] for rows inside out and
 * columns j0 ≤ j < j1 (those inside it, found by the caller). Unit column steps copy rows with
 * memory.copy.
 */
function emitPad(): Code {
  const code = new Code(new Array<ValType>(14).fill(i32));
  const [x, out, p0, p1, h, w, hp, wp, top, left, sh, sw, j0, j1] =
    Array.from({ length: 14 }, (_, i) => i);
  const [p, i, j, y, src, dst, planeOut] = Array.from({ length: 7 }, () => code.local(i32));
  code.get(p0).set(p);
  code.forLoop(p, p1, 1, () => {
    code.get(out).get(p).get(hp).i32Mul().get(wp).i32Mul().i32(4).i32Mul().i32Add().set(planeOut);
    code.get(planeOut).i32(0).get(hp).get(wp).i32Mul().i32(4).i32Mul().memoryFill();
    code.i32(0).set(i);
    code.forLoop(i, h, 1, () => {
      code.get(top).get(i).get(sh).i32Mul().i32Add().set(y);
      code.get(y).i32(0).i32GeS().get(y).get(hp).i32LtS().i32And().if(() => {
        // src = x + ((p·h + i)·w + j0)·4; dst = planeOut + (y·wp + left + j0·sw)·4
        code.get(x).get(p).get(h).i32Mul().get(i).i32Add().get(w).i32Mul().get(j0).i32Add()
          .i32(4).i32Mul().i32Add().set(src);
        code.get(planeOut).get(y).get(wp).i32Mul().get(left).i32Add().get(j0).get(sw).i32Mul()
          .i32Add().i32(4).i32Mul().i32Add().set(dst);
        code.get(sw).i32(1).i32Eq().if(() => {
          code.get(j1).get(j0).i32GtS().if(() => {
            code.get(dst).get(src).get(j1).get(j0).i32Sub().i32(4).i32Mul().memoryCopy();
          });
        }, () => {
          code.get(j0).set(j);
          code.forLoop(j, j1, 1, () => {
            code.get(dst).get(src).f32Load().f32Store();
            code.addTo(src, 4);
            code.get(dst).get(sw).i32(4).i32Mul().i32Add().set(dst);
          });
        });
      });
    });
  });
  return code;
}

/**
 * convPackDy(dy, dyt, n0, n1, n, k, kg, groups, chunks, plane): the output gradient dy
 * [n, k, plane] transposed into chunks of 8 channels, dyt[g][chunk][image][pixel][8] (lanes past
 * the group's channels zero), for images n0 ≤ image < n1; the weight gradient's B stream.
 */
function emitPackDy(pack: number): Code {
  const code = new Code(new Array<ValType>(10).fill(i32));
  const [dy, dyt, n0, n1, n, k, kg, groups, chunks, plane] =
    Array.from({ length: 10 }, (_, i) => i);
  const [img, g, c, k0] = [0, 1, 2, 3].map(() => code.local(i32));
  code.get(n0).set(img);
  code.forLoop(img, n1, 1, () => {
    code.i32(0).set(g);
    code.forLoop(g, groups, 1, () => {
      code.i32(0).set(c);
      code.forLoop(c, chunks, 1, () => {
        code.get(g).get(kg).i32Mul().get(c).i32(TILE_LANES).i32Mul().i32Add().set(k0);
        // pack(src, ls, ss, lanes, steps, dst)
        code.get(dy).get(img).get(k).i32Mul().get(k0).i32Add().get(plane).i32Mul().i32(4).i32Mul()
          .i32Add();
        code.get(plane).i32(4).i32Mul().i32(4);
        min(code, () => code.i32(TILE_LANES),
          () => code.get(kg).get(c).i32(TILE_LANES).i32Mul().i32Sub());
        code.get(plane);
        code.get(dyt).get(g).get(chunks).i32Mul().get(c).i32Add().get(n).i32Mul().get(img).i32Add()
          .get(plane).i32Mul().i32(4 * TILE_LANES).i32Mul().i32Add();
        code.call(pack);
      });
    });
  });
  return code;
}

/**
 * channelSum(x, out, c0, c1, n, c, inner): out[ch] = Σ_{image, i} x[image, ch, i] for channels
 * c0 ≤ ch < c1: four running f32 lanes per channel (then added lane 0 + 1 + 2 + 3), the last
 * inner mod 4 values added one by one to lane 0. The same bits whatever the channel split.
 */
function emitChannelSum(): Code {
  const code = new Code(new Array<ValType>(7).fill(i32));
  const [x, out, c0, c1, n, c, inner] = Array.from({ length: 7 }, (_, i) => i);
  const [ch, img, q, end, end4] = [0, 1, 2, 3, 4].map(() => code.local(i32));
  const acc = code.local(ValType.v128);
  const tail = code.local(ValType.f32);
  code.get(c0).set(ch);
  code.forLoop(ch, c1, 1, () => {
    code.v128Zero().set(acc).f32(0).set(tail);
    code.i32(0).set(img);
    code.forLoop(img, n, 1, () => {
      code.get(x).get(img).get(c).i32Mul().get(ch).i32Add().get(inner).i32Mul().i32(4).i32Mul()
        .i32Add().set(q);
      code.get(q).get(inner).i32(4).i32Mul().i32Add().set(end);
      code.get(q).get(inner).i32(-4).i32And().i32(4).i32Mul().i32Add().set(end4);
      code.block(() => code.loop(() => {
        code.get(q).get(end4).i32GeU().brIf(1);
        code.get(acc).get(q).v128Load().f32x4Add().set(acc);
        code.addTo(q, 16);
        code.br(0);
      }));
      code.block(() => code.loop(() => {
        code.get(q).get(end).i32GeU().brIf(1);
        code.get(tail).get(q).f32Load().f32Add().set(tail);
        code.addTo(q, 4);
        code.br(0);
      }));
    });
    code.get(out).get(ch).i32(4).i32Mul().i32Add();
    code.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add()
      .get(acc).f32x4ExtractLane(2).f32Add().get(acc).f32x4ExtractLane(3).f32Add()
      .get(tail).f32Add();
    code.f32Store();
  });
  return code;
}

/**
 * rowSpans(x, spans, r0, r1, width): for rows r0 ≤ r < r1 of x (rows of `width` floats), the
 * first and last column holding a value that is not ±0 (NaN counts), as two i32 at spans +
 * 8·r; an empty row gets first = width. Scans from each end, so dense rows cost a few loads.
 */
function emitRowSpans(): Code {
  const code = new Code([i32, i32, i32, i32, i32]);
  const [x, spans, r0, r1, width] = [0, 1, 2, 3, 4];
  const [r, row, first, last] = [0, 1, 2, 3].map(() => code.local(i32));
  const nonzero = (col: number): void => {
    code.get(row).get(col).i32(4).i32Mul().i32Add().f32Load().f32(0).f32Ne();
  };
  code.get(r0).set(r);
  code.forLoop(r, r1, 1, () => {
    code.get(x).get(r).get(width).i32Mul().i32(4).i32Mul().i32Add().set(row);
    code.i32(0).set(first);
    code.block(() => code.loop(() => {
      code.get(first).get(width).i32GeS().brIf(1);
      nonzero(first);
      code.brIf(1);
      code.addTo(first, 1);
      code.br(0);
    }));
    code.get(width).i32(1).i32Sub().set(last);
    code.block(() => code.loop(() => {
      code.get(last).get(first).i32LtS().brIf(1);
      nonzero(last);
      code.brIf(1);
      code.addTo(last, -1);
      code.br(0);
    }));
    code.get(spans).get(r).i32(8).i32Mul().i32Add().tee(row).get(first).i32Store();
    code.get(row).get(last).i32Store(4);
  });
  return code;
}

/** Names of the exported functions the thread pool's call slices run. */
export const CONV_EXPORTS = [
  "nonzerosInto", "scanInto",
  "convForward", "convForwardStrided", "convWeight", "convWeightStrided", "convPad",
  "convPackDy", "channelSum", "maxPool", "maxPool2x2", "maxPoolBackward",
  "maxPoolBackward2x2", "rowSpans", ...SCATTER_EXPORTS,
] as const;

/**
 * Adds the tiles and drivers to `module`: each driver in a unit-stride version (image values
 * of a tile 4 bytes apart, constant load offsets) and a strided one (any lane stride); the
 * padding, packing and bias-gradient passes; the pooling kernels. `fma`: relaxed multiply-add.
 */
export function addConvFunctions(module: ModuleBuilder, fma = false): void {
  const tiles = (laneStride: number | null): number[] => Array.from(
    { length: TILE.splat + 1 },
    (_, rows) => rows === 0 ? -1 : module.add(emitConvTile(rows, TILE.vectors, laneStride, fma),
      undefined, `convTile${rows}${laneStride === null ? "s" : ""}`),
  );
  const unit = tiles(4);
  const strided = tiles(null);
  module.add(emitForward(unit), "convForward");
  module.add(emitForward(strided), "convForwardStrided");
  module.add(emitWeight(unit), "convWeight");
  module.add(emitWeight(strided), "convWeightStrided");
  module.add(emitPad(), "convPad");
  module.add(emitPackDy(module.add(emitPack(TILE_LANES), undefined, "convPack")), "convPackDy");
  module.add(emitChannelSum(), "channelSum");
  module.add(emitRowSpans(), "rowSpans");
  addScatterFunctions(module);
  addPoolFunctions(module);
}

/** The convolution kernels as a module extension (extensions.ts): see `installWasmCnn`. */
export const cnnExtension: ModuleExtension = {
  name: "cnn", calls: CONV_EXPORTS, add: (module, config) => addConvFunctions(module, config.fma),
};
