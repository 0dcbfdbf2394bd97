// Float32 convolution and pooling kernels on WebAssembly SIMD, split over the helper threads:
// the same named-argument contracts as conv.ts and pool.ts, falling back to them otherwise.
import type { FloatArray } from "../../dtype.js";
import {
  type ChannelSumArgs, type Conv2dArgs, type Conv2dInputGradArgs, type Conv2dWeightGradArgs,
  type ConvGeometry, type PadPlanesArgs, channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad,
  padPlanes, paddedSize,
} from "../conv.js";
import {
  type MaxPool2dArgs, type MaxPool2dBackwardArgs, type PoolGeometry, maxPool2d, maxPool2dBackward,
} from "../pool.js";
import { FORWARD_WORDS, TILE, TILE_LANES, WEIGHT_WORDS } from "./conv-module.js";
import { POOL_WORDS } from "./pool-module.js";
import { type WasmSpace, wasmCnnReady, withWasmSpace } from "./conv-space.js";
import {
  type SparseWork, nonzeros, scan, sparseFaster, sparseForward, sparseForwardBytes,
  sparseInputGrad, sparseInputGradBytes, sparseVectorsOk, sparseWeightGrad,
  sparseWeightGradBytes, tapWeightFaster, tapWeightGrad, tapWeightOk,
} from "./scatter-run.js";

/** Whether every value of x is finite. */
function allFinite(x: FloatArray): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** Whether every one of `count` floats at `ptr` is finite. */
const finiteAt = (space: WasmSpace, ptr: number, count: number): boolean =>
  (space.exports.finite as (x: number, n: number) => number)(ptr, count) === 1;

/**
 * Whether the sparse path should run: zero skipping on, a sparse driver for these channels,
 * few enough nonzeros among the `count` values at `ptr` for it to be faster (see
 * `sparseFaster`; `work` gives the rest), and the other operand finite (0·∞ is NaN).
 */
function sparse(
  space: WasmSpace, channels: number, finite: () => boolean, ptr: number, count: number,
  work: Omit<SparseWork, "nonzeros" | "scanned" | "vectors">,
): boolean {
  if (!space.skipZeros || count === 0 || !sparseVectorsOk(channels)) return false;
  const vectors = Math.ceil(channels / 4);
  return sparseFaster({ ...work, scanned: count, vectors, nonzeros: nonzeros(space, ptr, count) })
    && finite();
}

const float32 = (...xs: Array<FloatArray | null>): boolean =>
  xs.every((x) => x === null || x instanceof Float32Array) && wasmCnnReady();

/** Writes `names` = values into the i32 words at byte address `at`. */
function writeWords(
  space: WasmSpace, at: number, names: readonly string[], values: Record<string, number>,
): void {
  names.forEach((name, i) => {
    const v = values[name];
    if (!Number.isInteger(v)) throw new Error(`wasm conv: parameter ${name} is ${String(v)}`);
    space.i32[(at >> 2) + i] = v;
  });
}

const key = (g: ConvGeometry): string => Object.values(g).join(",");
const roundUp = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * Packs weights for the forward driver: per group and chunk of 8 output channels, `steps`
 * rows of 8 lanes (zero past the group's channels). `at(k, step)` is the flat weight index of
 * output channel k (within the group) at step. Returns whether every weight is finite.
 */
function packWeights(
  space: WasmSpace, weight: number, dst: number, groups: number, outPerGroup: number,
  steps: number, at: (g: number, k: number, step: number) => number,
): boolean {
  const { f32 } = space;
  const chunks = Math.ceil(outPerGroup / TILE_LANES);
  let finite = true;
  let o = dst >> 2;
  const w = weight >> 2;
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < chunks; c++) {
      const lanes = Math.min(TILE_LANES, outPerGroup - c * TILE_LANES);
      for (let step = 0; step < steps; step++, o += TILE_LANES) {
        for (let l = 0; l < TILE_LANES; l++) {
          f32[o + l] = l < lanes ? f32[w + at(g, c * TILE_LANES + l, step)] : 0;
          finite &&= Number.isFinite(f32[o + l]);
        }
      }
    }
  }
  return finite;
}

/**
 * Row spans (first and last nonzero column) of `rows` rows of `width` floats at `src`, into
 * `spans` (8 bytes a row): what the tiles' zero skipping reads.
 */
function rowSpans(
  space: WasmSpace, key: string, src: number, spans: number, rows: number, width: number,
): void {
  space.split("rowSpans", key, rows, rows * 4, (r0, r1) => [src, spans, r0, r1, width]);
}

/** The forward driver on a padded input `src` [n, channels, hp, wp]: see FORWARD_WORDS. */
function forward(
  space: WasmSpace, name: string, words: Record<string, number>, n: number, macs: number,
  srcCol: number,
): void {
  const block = words.block;
  writeWords(space, block, FORWARD_WORDS, words);
  space.split(srcCol === 4 ? "convForward" : "convForwardStrided", name, n, macs,
    (n0, n1) => [block, n0, n1]);
}

/** `conv2d` (conv.ts) on wasm for float32. */
export function wasmConv2d(a: Conv2dArgs): void {
  if (!float32(a.xPadded, a.weight, a.bias, a.out)) { conv2d(a); return; }
  const g = a.geometry;
  const { hp, wp } = paddedSize(g);
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const steps = cg * g.kh * g.kw;
  const chunks = Math.ceil(kg / TILE_LANES);
  const wpkBytes = 4 * g.groups * chunks * steps * TILE_LANES;
  const buffers = a.bias === null ? [a.xPadded, a.weight, a.out] : [a.xPadded, a.weight, a.out,
    a.bias];
  const rows = g.n * g.c * hp;
  const tabBytes = roundUp(4 * cg * g.kh);
  const dense = wpkBytes + 2 * tabBytes + roundUp(8 * rows) + 4 * FORWARD_WORDS.length;
  const stride1 = g.sh === 1 && g.sw === 1;
  withWasmSpace(buffers as Float32Array[], [false, false, true, false],
    Math.max(dense, stride1 ? sparseForwardBytes(g) : 0), (space) => {
      const [xp, w, out] = space.pointers;
      const bias = a.bias === null ? 0 : space.pointers[3];
      const wpk = space.pointers[buffers.length];
      const taps = g.kh * g.kw;
      const macs = g.n * g.k * g.oh * g.ow * steps;
      const zeroed = g.n * (g.h + g.dh * (g.kh - 1)) * (g.w + g.dw * (g.kw - 1)) * g.k;
      if (stride1 && sparse(space, kg, () => finiteAt(space, w, a.weight.length), xp,
        a.xPadded.length, { taps, macs, zeroed, moved: a.out.length })) {
        sparseForward(space, key(g), g, xp, w, bias, a.relu, out, wpk);
        return;
      }
      const tab = wpk + wpkBytes;
      const spanTab = tab + tabBytes;
      const spans = spanTab + tabBytes;
      const block = spans + roundUp(8 * rows);
      const finite = packWeights(space, w, wpk, g.groups, kg, steps,
        (group, k, step) => (group * kg + k) * steps + step);
      for (let ci = 0; ci < cg; ci++) {
        for (let r = 0; r < g.kh; r++) {
          space.i32[(tab >> 2) + ci * g.kh + r] = 4 * (ci * hp + r * g.dh) * wp;
          space.i32[(spanTab >> 2) + ci * g.kh + r] = 8 * (ci * hp + r * g.dh);
        }
      }
      // Zero skipping needs finite weights (0·∞ is NaN).
      const skip = finite && space.skipZeros;
      if (skip) rowSpans(space, `spans ${key(g)}`, xp, spans, rows, wp);
      forward(space, `conv2d ${key(g)}`, {
        block, src: xp, srcImage: 4 * g.c * hp * wp, srcGroup: 4 * cg * hp * wp,
        srcRow: 4 * g.sh * wp, srcCol: 4 * g.sw, tab, outer: cg * g.kh, inner: g.kw,
        istride: 4 * g.dw, wpk, wpkGroup: 4 * chunks * steps * TILE_LANES,
        wpkChunk: 4 * steps * TILE_LANES, chunks, kg, out, outImage: 4 * g.k * g.oh * g.ow,
        outChannel: 4 * g.oh * g.ow, oh: g.oh, ow: g.ow, bias, relu: a.relu ? 1 : 0,
        groups: g.groups, spans: skip ? spans : 0, spanImage: 8 * g.c * hp,
        spanGroup: 8 * cg * hp, spanRow: 8 * g.sh, spanTab, sw: g.sw,
        tapExtent: g.dw * (g.kw - 1),
      }, g.n, g.n * g.k * g.oh * g.ow * steps, 4 * g.sw);
    });
}

/**
 * `conv2dInputGrad` on wasm for float32: dy is placed (dilated by the stride) in a zero-padded
 * map, which the forward driver convolves with the flipped, transposed weights at stride 1.
 */
export function wasmConv2dInputGrad(a: Conv2dInputGradArgs): void {
  // NOTE: the padded, dilated map adds terms w·0 where no output reads an input; with an ∞ or
  // NaN weight those are NaN, which the definition (and PyTorch) do not have.
  if (!float32(a.dy, a.weight, a.dx) || !allFinite(a.weight)) { conv2dInputGrad(a); return; }
  const g = a.geometry;
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const [eh, ew] = [g.dh * (g.kh - 1), g.dw * (g.kw - 1)];
  const [hq, wq] = [g.h + eh, g.w + ew];
  const [top, left] = [eh - g.pt, ew - g.pl];
  const steps = kg * g.kh * g.kw;
  const chunks = Math.ceil(cg / TILE_LANES);
  const mapBytes = roundUp(4 * g.n * g.k * hq * wq);
  const wpkBytes = 4 * g.groups * chunks * steps * TILE_LANES;
  const scratch = mapBytes + wpkBytes + roundUp(4 * kg * g.kh) + 4 * FORWARD_WORDS.length;
  const buffers = [a.dy, a.weight, a.dx] as Float32Array[];
  const stride1 = g.sh === 1 && g.sw === 1;
  withWasmSpace(buffers, [false, false, true],
    Math.max(scratch, stride1 ? sparseInputGradBytes(g) : 0), (space) => {
    const [dy, w, dx, map] = space.pointers;
    const work = {
      taps: g.kh * g.kw, macs: g.n * g.c * g.h * g.w * steps,
      zeroed: g.n * (g.oh + eh) * (g.ow + ew) * g.c, moved: a.dx.length,
    };
    if (stride1 && sparse(space, cg, () => finiteAt(space, w, a.weight.length), dy,
      a.dy.length, work)) {
      sparseInputGrad(space, key(g), g, dy, w, dx, map);
      return;
    }
    const wpk = map + mapBytes;
    const tab = wpk + wpkBytes;
    const block = tab + roundUp(4 * kg * g.kh);
    pad(space, `dilate ${key(g)}`, dy, map, g.n * g.k, g.oh, g.ow, hq, wq, top, left, g.sh, g.sw);
    const taps = g.kh * g.kw;
    packWeights(space, w, wpk, g.groups, cg, steps, (group, c, step) => {
      const k = Math.floor(step / taps);
      const flipped = taps - 1 - (step - k * taps);
      return ((group * kg + k) * cg + c) * taps + flipped;
    });
    for (let k = 0; k < kg; k++) {
      for (let r = 0; r < g.kh; r++) {
        space.i32[(tab >> 2) + k * g.kh + r] = 4 * (k * hq + r * g.dh) * wq;
      }
    }
    forward(space, `conv2dInputGrad ${key(g)}`, {
      block, src: map, srcImage: 4 * g.k * hq * wq, srcGroup: 4 * kg * hq * wq, srcRow: 4 * wq,
      srcCol: 4, tab, outer: kg * g.kh, inner: g.kw, istride: 4 * g.dw, wpk,
      wpkGroup: 4 * chunks * steps * TILE_LANES, wpkChunk: 4 * steps * TILE_LANES, chunks, kg: cg,
      out: dx, outImage: 4 * g.c * g.h * g.w, outChannel: 4 * g.h * g.w, oh: g.h, ow: g.w, bias: 0,
      relu: 0, groups: g.groups, spans: 0, spanImage: 0, spanGroup: 0, spanRow: 0, spanTab: 0,
      sw: 1, tapExtent: 0,
    }, g.n, g.n * g.c * g.h * g.w * steps, 4);
  });
}

/** `conv2dWeightGrad` on wasm for float32: dy transposed into channel chunks, then tiles. */
export function wasmConv2dWeightGrad(a: Conv2dWeightGradArgs): void {
  if (!float32(a.xPadded, a.dy, a.dw)) { conv2dWeightGrad(a); return; }
  const g = a.geometry;
  const { hp, wp } = paddedSize(g);
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const chunks = Math.ceil(kg / TILE_LANES);
  const plane = g.oh * g.ow;
  const dytBytes = roundUp(4 * g.groups * chunks * g.n * plane * TILE_LANES);
  const tabBytes = roundUp(4 * g.n * g.oh);
  const rows = g.n * g.c * hp;
  const scratch = dytBytes + 2 * tabBytes + roundUp(8 * rows) + 4 * WEIGHT_WORDS.length;
  const buffers = [a.xPadded, a.dy, a.dw] as Float32Array[];
  withWasmSpace(buffers, [false, false, true], Math.max(scratch, sparseWeightGradBytes(g)),
    (space) => {
    const [xp, dy, dw, dyt] = space.pointers;
    const macs = g.n * g.k * plane * cg * g.kh * g.kw;
    // dy's nonzeros (for the sparse path) and finiteness (for the tiles' skipping), one pass.
    const dyScan = space.skipZeros ? scan(space, dy, a.dy.length) : null;
    // x's finiteness (0·∞ is NaN), scanned at most once, and only if a sparse path is chosen.
    let xFinite: boolean | undefined;
    const finiteX = () => (xFinite ??= scan(space, xp, a.xPadded.length).finite);
    if (dyScan !== null && a.dy.length > 0 && tapWeightOk(g) &&
      tapWeightFaster(g, dyScan.nonzeros) && finiteX()) {
      tapWeightGrad(space, key(g), g, xp, dy, dw, dyt);
      return;
    }
    if (dyScan !== null && a.dy.length > 0 && sparseVectorsOk(cg) && sparseFaster({
      taps: g.kh * g.kw, macs, zeroed: 0, moved: a.xPadded.length, scanned: a.dy.length,
      vectors: Math.ceil(cg / 4), nonzeros: dyScan.nonzeros,
    }) && finiteX()) {
      sparseWeightGrad(space, key(g), g, xp, dy, dw, dyt);
      return;
    }
    const tab = dyt + dytBytes;
    const spanTab = tab + tabBytes;
    const spans = spanTab + tabBytes;
    const block = spans + roundUp(8 * rows);
    // Zero skipping needs a finite dy (0·∞ is NaN).
    const skip = dyScan !== null && dyScan.finite;
    if (skip) rowSpans(space, `spans ${key(g)}`, xp, spans, rows, wp);
    space.split("convPackDy", `packDy ${key(g)}`, g.n, g.n * g.k * plane,
      (n0, n1) => [dy, dyt, n0, n1, g.n, g.k, kg, g.groups, chunks, plane]);
    for (let n = 0; n < g.n; n++) {
      for (let y = 0; y < g.oh; y++) {
        space.i32[(tab >> 2) + n * g.oh + y] = 4 * ((n * g.c * hp + y * g.sh) * wp);
        space.i32[(spanTab >> 2) + n * g.oh + y] = 8 * (n * g.c * hp + y * g.sh);
      }
    }
    writeWords(space, block, WEIGHT_WORDS, {
      src: xp, srcGroup: 4 * cg * hp * wp, srcPlane: 4 * hp * wp, srcTapRow: 4 * g.dh * wp,
      ls: 4 * g.dw, tab, outer: g.n * g.oh, inner: g.ow, istride: 4 * g.sw, dyt,
      dytChunk: 4 * g.n * plane * TILE_LANES, chunks, kg, cg, kh: g.kh, kw: g.kw, out: dw,
      spans: skip ? spans : 0, spanGroup: 8 * cg * hp, spanPlane: 8 * hp,
      spanTapRow: 8 * g.dh, spanTab, colLast: (g.ow - 1) * g.sw, dw: g.dw,
    });
    const tiles = g.groups * chunks * cg * g.kh * Math.ceil(g.kw / TILE.splat);
    space.split(g.dw === 1 ? "convWeight" : "convWeightStrided", `conv2dWeightGrad ${key(g)}`,
      tiles, macs, (t0, t1) => [block, t0, t1]);
  });
}

/** convPad over planes [0, planes) of x (at `src`) into `dst`, split over the threads. */
function pad(
  space: WasmSpace, name: string, src: number, dst: number, planes: number, h: number, w: number,
  hp: number, wp: number, top: number, left: number, sh: number, sw: number,
): void {
  const j0 = Math.max(0, Math.ceil(-left / sw));
  const j1 = Math.min(w, Math.floor((wp - 1 - left) / sw) + 1);
  space.split("convPad", name, planes, planes * hp * wp,
    (p0, p1) => [src, dst, p0, p1, h, w, hp, wp, top, left, sh, sw, j0, j1]);
}

/** `padPlanes` on wasm for float32. */
export function wasmPadPlanes(a: PadPlanesArgs): void {
  if (!float32(a.x, a.out)) { padPlanes(a); return; }
  withWasmSpace([a.x, a.out] as Float32Array[], [false, true], 0, (space) => {
    const [x, out] = space.pointers;
    pad(space, `pad ${a.planes},${a.h},${a.w},${a.hp},${a.wp}`, x, out, a.planes, a.h, a.w,
      a.hp, a.wp, a.top, a.left, a.sh, a.sw);
  });
}

/** `channelSum` on wasm for float32 (four-lane partial sums: see `emitChannelSum`). */
export function wasmChannelSum(a: ChannelSumArgs): void {
  if (!float32(a.x, a.out)) { channelSum(a); return; }
  withWasmSpace([a.x, a.out] as Float32Array[], [false, true], 0, (space) => {
    const [x, out] = space.pointers;
    space.split("channelSum", `channelSum ${a.n},${a.c},${a.inner}`, a.c, a.n * a.c * a.inner,
      (c0, c1) => [x, out, c0, c1, a.n, a.c, a.inner]);
  });
}

/** Whether the pooling has 2×2 windows at stride 2 and no padding or dilation. */
const twoByTwo = (g: PoolGeometry): boolean => g.kh === 2 && g.kw === 2 && g.sh === 2 &&
  g.sw === 2 && g.dh === 1 && g.dw === 1 && g.pt === 0 && g.pl === 0 && 2 * g.oh <= g.h &&
  2 * g.ow <= g.w;

/** `maxPool2d` on wasm for float32. */
export function wasmMaxPool2d(a: MaxPool2dArgs): void {
  if (!float32(a.x, a.out, a.indices)) { maxPool2d(a); return; }
  const g = a.geometry;
  const buffers = [a.x, a.out, a.indices] as Float32Array[];
  withWasmSpace(buffers, [false, true, true], 4 * POOL_WORDS.length, (space) => {
    const [x, out, indices, block] = space.pointers;
    writeWords(space, block, POOL_WORDS, { ...g, x, out, indices });
    space.split(twoByTwo(g) ? "maxPool2x2" : "maxPool", `maxPool ${Object.values(g).join(",")}`,
      g.planes,
      g.planes * g.oh * g.ow * g.kh * g.kw, (p0, p1) => [block, p0, p1]);
  });
}

/** `maxPool2dBackward` on wasm for float32. */
export function wasmMaxPool2dBackward(a: MaxPool2dBackwardArgs): void {
  if (!float32(a.dy, a.indices, a.dx)) { maxPool2dBackward(a); return; }
  const g = a.geometry;
  const buffers = [a.dy, a.indices, a.dx] as Float32Array[];
  withWasmSpace(buffers, [false, false, true], 4 * POOL_WORDS.length,
    (space) => {
      const [dy, indices, dx, block] = space.pointers;
      writeWords(space, block, POOL_WORDS, { ...g, x: dx, out: dy, indices });
      space.split(twoByTwo(g) ? "maxPoolBackward2x2" : "maxPoolBackward",
        `maxPoolBackward ${Object.values(g).join(",")}`, g.planes,
        g.planes * g.h * g.w, (p0, p1) => [block, p0, p1]);
    });
}
