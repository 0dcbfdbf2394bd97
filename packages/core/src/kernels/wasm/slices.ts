// The claiming protocol every thread runs: take slices of a round (or chunks of the background
// gather) off the control block and run them. Written once, run by the calling thread and, as
// source text, by the workers: so these functions use only their arguments (the layout comes
// in as `L`, the same `SLOTS` object on both sides) and globals.
import type { SlotLayout } from "./slot-layout.js";

/** The exports a slice may call (the module's). */
export interface SliceKernels {
  gemm(...args: number[]): void;
  descend(...args: number[]): void;
  adamW(...args: number[]): void;
  adamL2(...args: number[]): void;
  gatherRows(...args: number[]): void;
  softplus(...args: number[]): void;
  sigmoid(...args: number[]): void;
  bceLogits(...args: number[]): void;
  bceLogitsGrad(...args: number[]): void;
  sparseGemm(...args: number[]): number;
  finite(x: number, count: number): number;
  /** The epilogue exports (c, bias, m, n, slope, ldc) by number; see `EPILOGUE_NAMES`. */
  epilogues: ReadonlyArray<
    (c: number, bias: number, m: number, n: number, slope: number, ldc: number) => void>;
  /** The exports a `SliceKind.call` slice runs, by number (`State.calls`). */
  calls: ReadonlyArray<(...args: number[]) => void>;
}

/**
 * Claims slices of the current round until none is left, running each (gemm with this thread's
 * scratch); returns how many it ran. A slice is claimed by one compare-exchange on the `next`
 * word, which carries the round's tag: a thread that wakes late cannot claim a slice of a later
 * round with stale arguments. `own` ≥ 0 is a slice to run first without claiming (the caller's
 * slice 0); with `tag` −1 (no round's) only that one runs. Which thread runs a slice does not
 * change its arithmetic.
 */
export function runSlices(
  ctrl: Int32Array, f64: Float64Array, tag: number, thread: number, maxThreads: number,
  k: SliceKernels, times: Float64Array, own: number, L: SlotLayout,
): number {
  const scratch = L.scratch + 3 * thread;
  const start = performance.now();
  let ran = 0;
  for (;; ran++) {
    let slice = own;
    if (ran > 0 || own < 0) {
      const cur = Atomics.load(ctrl, L.next);
      slice = cur & 255;
      if (cur >>> 8 !== tag || slice >= Atomics.load(ctrl, L.count)) return ran;
      if (Atomics.compareExchange(ctrl, L.next, cur, cur + 1) !== cur) { ran--; continue; }
    }
    const p = L.scratch + 3 * maxThreads + L.sliceWords * slice;
    const kind = ctrl[p + L.kind];
    try {
      if (kind === L.kinds.gemm) {
        k.gemm(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5],
          ctrl[p + 6], ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11],
          ctrl[p + 12], ctrl[p + 13], ctrl[scratch], ctrl[scratch + 1], ctrl[scratch + 2]);
        // Then the bias and activation of its block while it is in cache (c at word 6, its row
        // stride at 7, m and n at 8 and 9).
        const epilogue = ctrl[p + L.gemmEpilogue] - 1;
        if (epilogue >= 0) {
          k.epilogues[epilogue](ctrl[p + 6], ctrl[p + L.gemmBias], ctrl[p + 8], ctrl[p + 9],
            f64[0], ctrl[p + 7]);
        }
      } else if (kind === L.kinds.sparse) {
        // Its span of B checked (the caller redoes the product densely if one is not finite),
        // the product, then its rows' bias and activation.
        const check = ctrl[p + L.sparseCheck + 1];
        ctrl[p + L.sparseFinite] = check > 0 ? k.finite(ctrl[p + L.sparseCheck], check) : 1;
        ctrl[p + L.sparseUsed] = k.sparseGemm(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3],
          ctrl[p + 4], ctrl[p + 5], ctrl[p + 6], ctrl[p + 7], ctrl[p + 8], ctrl[p + 9],
          ctrl[scratch]);
        const epilogue = ctrl[p + L.sparseEpilogue] - 1;
        if (epilogue >= 0) {
          k.epilogues[epilogue](ctrl[p + 5], ctrl[p + L.sparseBias], ctrl[p + 7], ctrl[p + 8],
            f64[0], ctrl[p + 6]);
        }
      } else if (kind === L.kinds.descend) {
        k.descend(ctrl[p], ctrl[p + 1], ctrl[p + 2], f64[0]);
      } else if (kind === L.kinds.call) {
        // An export by number, then its i32 arguments (unused ones are ignored).
        k.calls[ctrl[p]](ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5],
          ctrl[p + 6], ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11],
          ctrl[p + 12], ctrl[p + 13], ctrl[p + 14], ctrl[p + 15]);
      } else if (kind === L.kinds.gatherRows) {
        k.gatherRows(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4]);
      } else if (kind === L.kinds.map) {
        // A map, by its number in MAP_KERNELS.
        const map = ctrl[p + L.mapKernel];
        const [x, out, n] = [p + L.mapInputs, ctrl[p + L.mapOut], ctrl[p + L.mapCount]];
        if (map === 0) k.softplus(ctrl[x], out, n);
        else if (map === 1) k.sigmoid(ctrl[x], out, n);
        else if (map === 2) k.bceLogits(ctrl[x], ctrl[x + 1], out, n);
        else k.bceLogitsGrad(ctrl[x], ctrl[x + 1], ctrl[x + 2], out, n);
      } else {
        (kind === L.kinds.adamW ? k.adamW : k.adamL2)(ctrl[p], ctrl[p + 1], ctrl[p + 2],
          ctrl[p + 3], ctrl[p + 4], f64[0], f64[1], f64[2], f64[3], f64[4], f64[5], f64[6],
          f64[7], f64[8]);
      }
    } catch {
      Atomics.store(ctrl, L.failed, 1);
    }
    // Busy time so far, reported before `done` so the caller reads it once all are done.
    times[2 * thread] = tag;
    times[2 * thread + 1] = performance.now() - start;
    Atomics.add(ctrl, L.done, 1);
    Atomics.notify(ctrl, L.done);
  }
}

/** Claims and runs one chunk of the background gather; false when none is left. */
export function backgroundChunk(ctrl: Int32Array, k: SliceKernels, L: SlotLayout): boolean {
  const cur = Atomics.load(ctrl, L.background);
  const chunks = Atomics.load(ctrl, L.backgroundChunks);
  const chunk = cur & 255;
  if (chunk >= chunks) return false;
  if (Atomics.compareExchange(ctrl, L.background, cur, cur + 1) !== cur) return true;
  const a = L.backgroundArgs;
  const [src, rowBytes, index, rows, dst] = [ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3],
    ctrl[a + 4]];
  const per = Math.ceil(rows / chunks);
  const first = chunk * per;
  const count = Math.min(per, rows - first);
  try {
    if (count > 0) k.gatherRows(src, rowBytes, index + 4 * first, count, dst + first * rowBytes);
  } catch {
    Atomics.store(ctrl, L.backgroundFailed, 1); // finishBackground throws
  }
  Atomics.add(ctrl, L.backgroundDone, 1);
  Atomics.notify(ctrl, L.backgroundDone); // the caller may sleep in finishBackground
  return true;
}
