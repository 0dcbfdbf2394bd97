// Generates the direct-convolution micro-kernel: a tile of T splatted image values (output
// pixels or kernel taps) × 4·CV channels, summed over steps read through an offset table.
import { Code, ValType } from "./encoder.js";

const { i32, v128 } = ValType;

/** The tile: `splat` image values per step (rows of the tile) × `vectors` f32x4 channel groups. */
export interface TileShape {
  readonly splat: number;
  readonly vectors: number;
}

/** Parameters of every tile function, in order (all i32, byte addresses and strides). */
export const TILE_PARAMS = [
  "src", "tab", "outer", "inner", "istride", "b", "out", "olane", "osplat", "lanes", "bias",
  "relu", "ls", "spanTab", "spanBase", "colLo", "colHi",
] as const;

/**
 * tile(src, tab, outer, inner, istride, b, out, olane, osplat, lanes, bias, relu, ls, spanTab,
 *      spanBase, colLo, colHi):
 *   acc[i][l] = Σ_steps image(p + i·ls) · b[l], with the steps in order: for each of `outer`
 *   table entries, p = src + tab[o] (bytes), then `inner` steps with p += istride; b is a
 *   contiguous stream of 4·CV floats per step. Zero skipping: with spanTab ≠ 0, entry o reads
 *   an image row whose nonzero columns are [first, last] = the two i32 at spanBase +
 *   spanTab[o]; when they miss the columns [colLo, colHi] the entry reads, its steps are left
 *   out (they would add ±0 products to sums that start at +0, which changes no bit, the caller
 *   having checked b finite). Then for lanes l < `lanes` and rows i < t:
 *   v = acc[i][l] (+ bias[l] when bias ≠ 0; relu: v ≤ 0 ? 0 : v, as the relu kernel) is stored
 *   at out + i·osplat + l·olane. Sums are rounded to f32 after every step (or, with `fma`,
 *   each step is one relaxed multiply-add), the same whatever thread or tile runs it.
 * `rows` (t ≤ T) is the number of image values this function splats; `laneStride`, when set,
 * is a compile-time value of ls (constant load offsets; the ls argument is ignored).
 */
export function emitConvTile(
  rows: number, vectors: number, laneStride: number | null, fma = false,
): Code {
  const code = new Code(TILE_PARAMS.map(() => i32));
  const [src, tab, outer, inner, istride, b, out, olane, osplat, lanes, bias, relu, ls,
    spanTab, spanBase, colLo, colHi] = TILE_PARAMS.map((_, i) => i);
  const acc = Array.from({ length: rows }, () =>
    Array.from({ length: vectors }, () => code.local(v128)));
  const bv = Array.from({ length: vectors }, () => code.local(v128));
  const av = code.local(v128);
  const [p, end, tabEnd, q] = [0, 1, 2, 3].map(() => code.local(i32));
  const [span, bstep] = [code.local(i32), code.local(i32)];
  const addr = laneStride === null ? code.local(i32) : -1;

  code.v128Zero().set(acc[0][0]);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < vectors; j++) if (i + j > 0) code.get(acc[0][0]).set(acc[i][j]);
  }
  code.get(inner).get(istride).i32Mul().set(span);
  code.i32(16 * vectors).set(bstep);
  code.get(tab).get(outer).i32(4).i32Mul().i32Add().set(tabEnd);
  const [sp, skip] = [code.local(i32), code.local(i32)];
  code.get(inner).get(bstep).i32Mul().set(skip);
  code.block(() => code.loop(() => {
    code.get(tab).get(tabEnd).i32GeU().brIf(1);
    code.get(src).get(tab).i32Load().i32Add().tee(p).get(span).i32Add().set(end);
    code.get(spanTab).if(() => {
      // Nothing nonzero where this entry reads: move past its steps.
      code.get(spanBase).get(spanTab).i32Load().i32Add().set(sp);
      code.get(sp).i32Load().get(colHi).i32GtS().get(sp).i32Load(4).get(colLo).i32LtS().i32Or()
        .if(() => code.get(p).set(end).addTo(b, { local: skip }));
      code.addTo(spanTab, 4);
    });
    code.block(() => code.loop(() => {
      code.get(p).get(end).i32GeU().brIf(1);
      for (let j = 0; j < vectors; j++) code.get(b).v128Load(16 * j).set(bv[j]);
      if (laneStride === null) code.get(p).set(addr);
      for (let i = 0; i < rows; i++) {
        if (laneStride === null) {
          if (i > 0) code.addTo(addr, { local: ls });
          code.get(addr).v128Load32Splat().set(av);
        } else {
          code.get(p).v128Load32Splat(i * laneStride).set(av);
        }
        for (let j = 0; j < vectors; j++) {
          if (fma) code.get(av).get(bv[j]).get(acc[i][j]).f32x4RelaxedMadd().set(acc[i][j]);
          else code.get(acc[i][j]).get(av).get(bv[j]).f32x4Mul().f32x4Add().set(acc[i][j]);
        }
      }
      code.addTo(b, { local: bstep });
      code.addTo(p, { local: istride });
      code.br(0);
    }));
    code.addTo(tab, 4);
    code.br(0);
  }));

  // Epilogue: bias and relu per vector, then one scalar store per valid lane.
  for (let j = 0; j < vectors; j++) {
    code.get(bias).if(() => {
      code.get(bias).v128Load(16 * j).set(bv[j]);
      for (let i = 0; i < rows; i++) {
        code.get(acc[i][j]).get(bv[j]).f32x4Add().set(acc[i][j]);
      }
    });
    code.get(relu).if(() => {
      for (let i = 0; i < rows; i++) {
        // v ≤ 0 ? 0 : v, so NaN stays NaN (as the relu kernel)
        code.v128Zero().get(acc[i][j]).get(acc[i][j]).v128Zero().f32x4Le().v128Bitselect()
          .set(acc[i][j]);
      }
    });
  }
  for (let i = 0; i < rows; i++) {
    // q = out + i·osplat, then + olane per lane
    code.get(out);
    if (i > 0) code.get(osplat).i32(i).i32Mul().i32Add();
    code.set(q);
    for (let j = 0; j < vectors; j++) {
      for (let l = 0; l < 4; l++) {
        const lane = 4 * j + l;
        code.get(lanes).i32(lane).i32GtS().if(() => {
          code.get(q).get(acc[i][j]).f32x4ExtractLane(l).f32Store();
        });
        code.addTo(q, { local: olane });
      }
    }
  }
  return code;
}
