// Batch normalization's float32 kernels on WebAssembly (norm-module.ts), split over the helper
// threads by channels: the same named-argument contracts as norm.ts, falling back to it otherwise.
import type { FloatArray } from "../../dtype.js";
import {
  type BatchNormBackwardArgs, type BatchNormEvalArgs, type BatchNormForwardArgs,
  batchNormBackward, batchNormEval, batchNormForward,
} from "../norm.js";
import { type WasmSpace, withWasmSpace } from "./conv-space.js";
import { NORM_BLOCK_BYTES, NORM_WORDS, type NORM_EXPORTS } from "./norm-module.js";
import { wasmSimdAvailable } from "./runtime.js";
import { load } from "./state.js";

/**
 * Whether the loaded module has the batch-norm kernels (registered before it was built, see
 * extensions.ts); the runners fall back to TypeScript otherwise.
 */
export function wasmNormReady(): boolean {
  return wasmSimdAvailable() && load().extensions.has("norm");
}

const float32 = (...xs: Array<FloatArray | null>): boolean =>
  xs.every((x) => x === null || x instanceof Float32Array) && wasmNormReady();

type Shape = Pick<BatchNormForwardArgs, "batch" | "channels" | "inner" | "eps">;
type Word = (typeof NORM_WORDS)[number];

/**
 * Runs export `name` over every channel, split over the threads, with `buffers` (float32; null
 * for a missing weight or bias, whose word is then 0) in WebAssembly memory and `f64Stats`
 * channels of f64 statistics (mean, then variance) in scratch: `before` fills them, `after`
 * reads them back.
 */
function run(
  name: (typeof NORM_EXPORTS)[number], shape: Shape,
  buffers: Partial<Record<Word, FloatArray | null>>, writes: readonly Word[], f64Stats: boolean,
  before: (stats: Float64Array) => void, after: (stats: Float64Array) => void,
): void {
  const { batch, channels, inner, eps } = shape;
  const names = (Object.keys(buffers) as Word[]).filter((k) => buffers[k] != null);
  const arrays = names.map((k) => buffers[k] as Float32Array);
  const statBytes = f64Stats ? Math.ceil((16 * channels) / 64) * 64 : 0;
  withWasmSpace(arrays, names.map((k) => writes.includes(k)), statBytes + NORM_BLOCK_BYTES,
    (space: WasmSpace) => {
      const scratch = space.pointers[arrays.length];
      const block = scratch + statBytes;
      const memory = space.i32.buffer;
      const words: Record<string, number> = { batch, channels, inner };
      names.forEach((k, i) => { words[k] = space.pointers[i]; });
      if (f64Stats) {
        words.mean = scratch;
        words.variance = scratch + 8 * channels;
      }
      NORM_WORDS.forEach((k, i) => { space.i32[(block + 16 >> 2) + i] = words[k] ?? 0; });
      new Float64Array(memory, block, 2).set([eps, batch * inner]);
      const stats = f64Stats ? new Float64Array(memory, scratch, 2 * channels) : null;
      if (stats !== null) before(stats);
      const key = `${name} ${batch},${channels},${inner}`;
      space.split(name, key, channels, batch * channels * inner, (c0, c1) => [block, c0, c1]);
      if (stats !== null) after(stats);
    });
}

const copy = (from: FloatArray, to: FloatArray, at = 0): void => {
  for (let i = 0; i < from.length; i++) to[at + i] = from[i];
};
const copyOut = (from: Float64Array, at: number, to: FloatArray): void => {
  for (let i = 0; i < to.length; i++) to[i] = from[at + i];
};

/** `batchNormForward` (norm.ts) on wasm for float32 x, weight, bias and out. */
export function wasmBatchNormForward(a: BatchNormForwardArgs): void {
  if (!float32(a.x, a.weight, a.bias, a.out)) { batchNormForward(a); return; }
  run("batchNormForward", a, { x: a.x, out: a.out, weight: a.weight, bias: a.bias }, ["out"],
    true, () => {}, (stats) => {
      copyOut(stats, 0, a.mean);
      copyOut(stats, a.channels, a.variance);
    });
}

/** `batchNormBackward` (norm.ts) on wasm for float32 x, dy, weight and gradients. */
export function wasmBatchNormBackward(a: BatchNormBackwardArgs): void {
  if (!float32(a.x, a.dy, a.weight, a.dx, a.dWeight, a.dBias)) { batchNormBackward(a); return; }
  run("batchNormBackward", a, {
    x: a.x, dy: a.dy, out: a.dx, weight: a.weight, dWeight: a.dWeight, dBias: a.dBias,
  }, ["out", "dWeight", "dBias"], true, (stats) => {
    copy(a.mean, stats);
    copy(a.variance, stats, a.channels);
  }, () => {});
}

/** `batchNormEval` (norm.ts) on wasm for float32 arrays. */
export function wasmBatchNormEval(a: BatchNormEvalArgs): void {
  if (!float32(a.x, a.mean, a.variance, a.weight, a.bias, a.out)) { batchNormEval(a); return; }
  run("batchNormEval", a, {
    x: a.x, out: a.out, mean: a.mean, variance: a.variance, weight: a.weight, bias: a.bias,
  }, ["out"], false, () => {}, () => {});
}
