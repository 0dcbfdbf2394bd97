// The sparse convolution paths (scatter-module.ts): when the operand whose zeros they skip is
// sparse enough (relu and max-pool outputs, their gradients, MNIST images) and the other one is
// finite, conv-run.ts runs these instead of the dense tiles.
import { type ConvGeometry, paddedSize } from "../conv.js";
import {
  SCATTER_VECTORS, SCATTER_WEIGHT_WORDS, SCATTER_WORDS,
} from "./scatter-module.js";
import type { WasmSpace } from "./conv-space.js";
import { TAP_ROWS, TAP_WEIGHT_WORDS, TAP_WIDTH } from "./tap-weight-module.js";

/** What a sparse path would do, for `sparseFaster`. */
export interface SparseWork {
  /** Values of the sparse operand tested (each costs a load and a branch). */
  readonly scanned: number;
  /** Nonzeros among them. */
  readonly nonzeros: number;
  /** Taps each nonzero updates, and f32x4 vectors per tap. */
  readonly taps: number;
  readonly vectors: number;
  /** Floats of accumulator zeroed, and floats cropped out of it or laid out for it. */
  readonly zeroed: number;
  readonly moved: number;
  /** Multiply-adds of the dense path. */
  readonly macs: number;
}

/**
 * Whether the sparse path is expected to be faster, from a cycle model fitted to C1's shapes
 * at densities 0.15–0.6 (forced paths, 1 thread): dense tiles about 0.19 cycles a
 * multiply-add; a nonzero's tap 0.3 + 1.0 per vector it updates (each update reads and writes
 * the accumulator; 1.1 before the lane-mask scan and the unrolled taps, refitted on conv2's
 * forward at 55–80 % nonzero: 0.96–0.98); a scanned value 3 (counting, testing); a zeroed
 * float 0.3; a cropped or laid-out float 1.5. Sparse must win by 10 %. Only speed depends on
 * the choice: both paths give correct sums.
 */
export function sparseFaster(w: SparseWork): boolean {
  if (policy !== "auto") return policy === "always";
  const sparse = w.nonzeros * w.taps * (0.3 + w.vectors) + 3 * w.scanned +
    0.3 * w.zeroed + 1.5 * w.moved;
  return sparse < 0.9 * 0.19 * w.macs;
}

let policy: "auto" | "always" | "never" = "auto";

/**
 * Overrides the cost model (for tests and benchmarks): "always" runs a sparse path wherever
 * one applies, "never" the dense tiles; "auto" (the default) chooses by `sparseFaster`.
 * Returns the previous policy.
 */
export function setSparsePolicy(next: "auto" | "always" | "never"): "auto" | "always" | "never" {
  const previous = policy;
  policy = next;
  return previous;
}

const roundUp = (bytes: number): number => Math.ceil(bytes / 64) * 64;
const vectorsOf = (channels: number): number => Math.ceil(channels / 4);

/** Whether `vectors` channel vectors per group have a sparse driver. */
export const sparseVectorsOk = (channels: number): boolean =>
  (SCATTER_VECTORS as readonly number[]).includes(vectorsOf(channels));

/**
 * How many of `count` floats at `ptr` are not ±0, counted on the threads (slice t leaves its
 * count in the space's counter t; `split` asks for the slices' arguments in order).
 */
export function nonzeros(space: WasmSpace, ptr: number, count: number): number {
  const at = space.counters >> 2;
  space.i32.fill(0, at, at + space.threads);
  let slot = 0;
  space.split("nonzerosInto", "nonzeros", count, count / 8,
    (start, end) => [ptr, start, end, space.counters + 4 * slot++]);
  let total = 0;
  for (let t = 0; t < space.threads; t++) total += space.i32[at + t];
  return total;
}

/** What `scan` found in an array: its nonzeros (NaN counts) and whether all are finite. */
export interface Scan {
  readonly nonzeros: number;
  readonly finite: boolean;
}

/**
 * Counts the nonzeros of `count` floats at `ptr` and tests them for ±∞ and NaN in one pass on
 * the threads (slice t leaves its two counts in the space's counters 2t and 2t + 1).
 */
export function scan(space: WasmSpace, ptr: number, count: number): Scan {
  const at = space.counters >> 2;
  space.i32.fill(0, at, at + 2 * space.threads);
  let slot = 0;
  space.split("scanInto", "scan", count, count / 8,
    (start, end) => [ptr, start, end, space.counters + 8 * slot++]);
  let [nonzeros, bad] = [0, 0];
  for (let t = 0; t < space.threads; t++) {
    nonzeros += space.i32[at + 2 * t];
    bad += space.i32[at + 2 * t + 1];
  }
  return { nonzeros, finite: bad === 0 };
}

function writeWords(
  space: WasmSpace, at: number, names: readonly string[], values: Record<string, number>,
): void {
  names.forEach((name, i) => {
    const v = values[name];
    if (!Number.isInteger(v)) throw new Error(`wasm conv: parameter ${name} is ${String(v)}`);
    space.i32[(at >> 2) + i] = v;
  });
}

/** Scratch bytes `sparseForward` needs. */
export function sparseForwardBytes(g: ConvGeometry): number {
  const kgp = 4 * vectorsOf(g.k / g.groups);
  const [hq, wq] = [g.h + g.dh * (g.kh - 1), g.w + g.dw * (g.kw - 1)];
  return roundUp(4 * g.n * hq * wq * g.groups * kgp) +
    roundUp(4 * g.c * g.kh * g.kw * kgp) + 4 * SCATTER_WORDS.length;
}

/**
 * conv2d at stride 1 from the nonzeros of the padded input `xp`: weights packed per input
 * channel, taps flipped (the scatter visits target rows forward), lanes over the group's output
 * channels.
 */
export function sparseForward(
  space: WasmSpace, key: string, g: ConvGeometry, xp: number, weight: number, bias: number,
  relu: boolean, out: number, scratch: number,
): void {
  const { hp, wp } = paddedSize(g);
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const vectors = vectorsOf(kg);
  const lanes = 16 * vectors * g.groups;
  const [hq, wq] = [g.h + g.dh * (g.kh - 1), g.w + g.dw * (g.kw - 1)];
  const dst = scratch;
  const wblk = dst + roundUp(g.n * hq * wq * lanes);
  const block = wblk + roundUp(4 * g.c * g.kh * g.kw * 4 * vectors);
  const { f32 } = space;
  const taps = g.kh * g.kw;
  // Per input channel and tap (flipped), the group's output channels in lanes, zero past kg.
  for (let c = 0, o = wblk >> 2; c < g.c; c++) {
    const group = Math.floor(c / cg);
    const first = (weight >> 2) + (group * kg * cg + c - group * cg) * taps;
    for (let tap = 0; tap < taps; tap++, o += 4 * vectors) {
      for (let l = 0, i = first + taps - 1 - tap; l < kg; l++, i += cg * taps) f32[o + l] = f32[i];
      for (let l = kg; l < 4 * vectors; l++) f32[o + l] = 0;
    }
  }
  writeWords(space, block, SCATTER_WORDS, {
    src: xp, srcImage: 4 * g.c * hp * wp, chans: g.c, h: hp, w: wp, groupChans: cg, dst,
    dstImage: hq * wq * lanes, shift: -(g.pt * wq + g.pl) * lanes, hq, wq, lanes,
    groupLanes: 16 * vectors, wblk, wChannel: taps * 16 * vectors, kh: g.kh, kw: g.kw,
    rowStep: g.dh * wq * lanes, colStep: g.dw * lanes, out, outImage: 4 * g.k * g.oh * g.ow,
    outChans: g.k, outGroupChans: kg, oh: g.oh, ow: g.ow,
    offY: g.dh * (g.kh - 1) - g.pt, offX: g.dw * (g.kw - 1) - g.pl, bias, relu: relu ? 1 : 0,
  });
  space.split(`scatterConv${vectors}` as never, `sparse ${key}`, g.n, g.n * hp * wp * g.c,
    (n0, n1) => [block, n0, n1]);
}

/** Scratch bytes `sparseInputGrad` needs. */
export function sparseInputGradBytes(g: ConvGeometry): number {
  const cgp = 4 * vectorsOf(g.c / g.groups);
  const [hq, wq] = [g.oh + g.dh * (g.kh - 1), g.ow + g.dw * (g.kw - 1)];
  return roundUp(4 * g.n * hq * wq * g.groups * cgp) +
    roundUp(4 * g.k * g.kh * g.kw * cgp) + 4 * SCATTER_WORDS.length;
}

/** conv2dInputGrad at stride 1 from the nonzeros of dy: lanes over the group's input channels. */
export function sparseInputGrad(
  space: WasmSpace, key: string, g: ConvGeometry, dy: number, weight: number, dx: number,
  scratch: number,
): void {
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const vectors = vectorsOf(cg);
  const lanes = 16 * vectors * g.groups;
  const [hq, wq] = [g.oh + g.dh * (g.kh - 1), g.ow + g.dw * (g.kw - 1)];
  const dst = scratch;
  const wblk = dst + roundUp(g.n * hq * wq * lanes);
  const block = wblk + roundUp(4 * g.k * g.kh * g.kw * 4 * vectors);
  const { f32 } = space;
  const taps = g.kh * g.kw;
  // Per output channel and tap, the group's input channels in lanes, zero past cg.
  for (let k = 0, o = wblk >> 2; k < g.k; k++) {
    for (let tap = 0; tap < taps; tap++, o += 4 * vectors) {
      for (let l = 0, i = (weight >> 2) + k * cg * taps + tap; l < cg; l++, i += taps) {
        f32[o + l] = f32[i];
      }
      for (let l = cg; l < 4 * vectors; l++) f32[o + l] = 0;
    }
  }
  writeWords(space, block, SCATTER_WORDS, {
    src: dy, srcImage: 4 * g.k * g.oh * g.ow, chans: g.k, h: g.oh, w: g.ow, groupChans: kg,
    dst, dstImage: hq * wq * lanes, shift: 0, hq, wq, lanes, groupLanes: 16 * vectors, wblk,
    wChannel: taps * 16 * vectors, kh: g.kh, kw: g.kw, rowStep: g.dh * wq * lanes,
    colStep: g.dw * lanes, out: dx, outImage: 4 * g.c * g.h * g.w, outChans: g.c,
    outGroupChans: cg, oh: g.h, ow: g.w, offY: g.pt, offX: g.pl, bias: 0, relu: 0,
  });
  space.split(`scatterConv${vectors}` as never, `sparse dx ${key}`, g.n,
    g.n * g.k * g.oh * g.ow, (n0, n1) => [block, n0, n1]);
}

/** Scratch bytes `sparseWeightGrad` needs. */
export function sparseWeightGradBytes(g: ConvGeometry): number {
  const { hp, wp } = paddedSize(g);
  const cgp = 4 * vectorsOf(g.c / g.groups);
  return roundUp(4 * g.n * hp * wp * g.groups * cgp) + roundUp(4 * g.k * g.kh * g.kw * cgp) +
    4 * SCATTER_WEIGHT_WORDS.length;
}

/**
 * conv2dWeightGrad (any stride) from the nonzeros of dy: the padded input laid out NHWC (lanes
 * over each group's input channels), then per output channel an accumulator of kh·kw rows.
 */
export function sparseWeightGrad(
  space: WasmSpace, key: string, g: ConvGeometry, xp: number, dy: number, dw: number,
  scratch: number,
): void {
  const { hp, wp } = paddedSize(g);
  const [cg, kg] = [g.c / g.groups, g.k / g.groups];
  const vectors = vectorsOf(cg);
  const lanes = 16 * vectors * g.groups;
  const xq = scratch;
  const acc = xq + roundUp(g.n * hp * wp * lanes);
  const block = acc + roundUp(4 * g.k * g.kh * g.kw * 4 * vectors);
  space.split("toNhwc", `nhwc ${key}`, g.n, g.n * g.c * hp * wp,
    (n0, n1) => [xp, xq, n0, n1, g.c, hp * wp, cg, lanes, 16 * vectors]);
  writeWords(space, block, SCATTER_WEIGHT_WORDS, {
    dy, n: g.n, k: g.k, oh: g.oh, ow: g.ow, kg, xq, xqImage: hp * wp * lanes,
    xRow: g.sh * wp * lanes, xCol: g.sw * lanes, tapRow: g.dh * wp * lanes, tapCol: g.dw * lanes,
    groupLanes: 16 * vectors, acc, kh: g.kh, kw: g.kw, out: dw, cg,
  });
  space.split(`scatterWeight${vectors}` as never, `sparse dw ${key}`, g.k,
    g.n * g.k * g.oh * g.ow, (k0, k1) => [block, k0, k1]);
}


/**
 * Whether `tapWeightGrad` handles this geometry: one input channel and one group, adjacent
 * taps (no column dilation), at most TAP_ROWS kernel rows of TAP_WIDTH taps.
 */
export const tapWeightOk = (g: ConvGeometry): boolean => g.c === 1 && g.groups === 1 &&
  g.dw === 1 && g.kh <= TAP_ROWS && g.kw >= TAP_WIDTH.min && g.kw <= TAP_WIDTH.max;

/**
 * Whether `tapWeightGrad` is expected to beat the dense tiles, in the cycle model of
 * `sparseFaster` (fitted on C1's conv1, forced paths, 1 thread, dy 5–50 % nonzero): 1.2 an
 * f32x4 multiply-add (2·kh a nonzero of dy), 1.5 a value of dy scanned, against 0.19 a
 * multiply-add of the tiles (their transposing and row spans included). Sparse must win by
 * 10 %; it does below about 23 % nonzero at 5 × 5.
 */
export function tapWeightFaster(g: ConvGeometry, nonzeros: number): boolean {
  if (policy !== "auto") return policy === "always";
  const scanned = g.n * g.k * g.oh * g.ow;
  const sparse = nonzeros * 2 * g.kh * 1.2 + scanned * 1.5;
  return sparse < 0.9 * 0.19 * scanned * g.kh * g.kw;
}

/**
 * conv2dWeightGrad of a `tapWeightOk` geometry from the nonzeros of dy (x finite, as every
 * sparse path needs), split over the output channels; `block` is scratch for the words.
 */
export function tapWeightGrad(
  space: WasmSpace, key: string, g: ConvGeometry, xp: number, dy: number, dw: number,
  block: number,
): void {
  const { hp, wp } = paddedSize(g);
  writeWords(space, block, TAP_WEIGHT_WORDS, {
    dy, n: g.n, k: g.k, oh: g.oh, ow: g.ow, x: xp, xImage: 4 * hp * wp, xRow: 4 * g.sh * wp,
    xCol: 4 * g.sw, tapRow: 4 * g.dh * wp, kh: g.kh, kw: g.kw, out: dw,
  });
  space.split("tapWeight", `tap dw ${key}`, g.k, g.n * g.k * g.oh * g.ow * g.kh,
    (k0, k1) => [block, k0, k1]);
}
