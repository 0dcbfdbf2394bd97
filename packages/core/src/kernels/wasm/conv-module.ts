// Generates the convolution drivers: loops over images, channel groups and output rows that
// call the direct-convolution tiles (conv-tile.ts) with addresses read from a parameter block.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";
import { TILE_PARAMS, emitConvTile } from "./conv-tile.js";

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
] as const;

/**
 * Words of the weight-gradient driver's block: tiles are (group, channel chunk, input channel,
 * kernel row, tap chunk); each sums over every image and output pixel.
 */
export const WEIGHT_WORDS = [
  "src", "srcGroup", "srcPlane", "srcTapRow", "ls", "tab", "outer", "inner", "istride",
  "dyt", "dytChunk", "chunks", "kg", "cg", "kh", "kw", "out",
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
            callTile(code, tiles, t, () => {
              code.get(s).get(w.tab).get(w.outer).get(w.inner).get(w.istride).get(b).get(o)
                .get(w.outChannel).i32(4).get(lanes).get(biasPtr).get(w.relu).get(w.srcCol);
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
    });
  });
  return code;
}

/** Names of the exported convolution functions, for the thread pool's generic slices. */
export const CONV_EXPORTS = ["convForward", "convForwardStrided", "convWeight",
  "convWeightStrided"] as const;

/**
 * Adds the tiles and drivers to `module`: each driver in a unit-stride version (image values
 * of a tile 4 bytes apart, constant load offsets) and a strided one (any lane stride).
 */
export function addConvFunctions(module: ModuleBuilder): void {
  const tiles = (laneStride: number | null): number[] => Array.from(
    { length: TILE.splat + 1 },
    (_, rows) => rows === 0 ? -1 : module.add(emitConvTile(rows, TILE.vectors, laneStride)),
  );
  const unit = tiles(4);
  const strided = tiles(null);
  module.add(emitForward(unit), "convForward");
  module.add(emitForward(strided), "convForwardStrided");
  module.add(emitWeight(unit), "convWeight");
  module.add(emitWeight(strided), "convWeightStrided");
}

export { TILE_PARAMS };
