// Batch-norm kernel benchmark: ms per call of the float32 training forward pass, its backward
// pass and the eval pass on the activations of cnn.json's two batch-norm layers ([64, 16, 28, 28]
// and [64, 32, 14, 14]): the TypeScript kernels (norm.ts) against the WebAssembly ones on 1 and
// 2 threads, on arrays in WebAssembly memory (as in a compiled step) and on plain arrays
// (copied in and out, as in an eager evaluation pass). Medians of 7 timed batches.
// Usage: pnpm bench:norm
import { installWasmNorm } from "../packages/core/src/kernels/cnn-install.js";
import {
  batchNormBackward, batchNormEval, batchNormForward,
} from "../packages/core/src/kernels/norm.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmulConfig, wasmThreadsAvailable,
} from "../packages/core/src/kernels/wasm/index.js";
import {
  wasmBatchNormBackward, wasmBatchNormEval, wasmBatchNormForward,
} from "../packages/core/src/kernels/wasm/norm-runner.js";
import { Rng } from "../packages/core/src/random.js";
import { msPerCall } from "./per-call.js";

installWasmNorm();

const rng = new Rng(1);
interface Kernels {
  forward: typeof batchNormForward;
  backward: typeof batchNormBackward;
  evaluate: typeof batchNormEval;
}
const ts: Kernels = {
  forward: batchNormForward, backward: batchNormBackward, evaluate: batchNormEval,
};
const wasm: Kernels = {
  forward: wasmBatchNormForward, backward: wasmBatchNormBackward, evaluate: wasmBatchNormEval,
};

/** ms per call of each kernel on [64, channels, side, side], arrays resident or plain. */
function times(k: Kernels, channels: number, side: number, resident: boolean): number[] {
  const [batch, inner] = [64, side * side];
  const size = batch * channels * inner;
  const array = (n: number, f: () => number): Float32Array => {
    const a = (resident ? residentFloat32(n) : null) ?? new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = f();
    return a;
  };
  const x = array(size, () => rng.normal() * 2 + 0.5);
  const dy = array(size, () => rng.normal() * 0.01);
  const [out, dx] = [array(size, () => 0), array(size, () => 0)];
  const [weight, bias] = [array(channels, () => 1 + rng.normal() * 0.1), array(channels, () => 0)];
  const [dWeight, dBias] = [array(channels, () => 0), array(channels, () => 0)];
  const [mean, variance] = [new Float64Array(channels), new Float64Array(channels)];
  const running = { mean: array(channels, () => 0.5), variance: array(channels, () => 4) };
  const shape = { x, batch, channels, inner, eps: 1e-5, weight };
  return [
    msPerCall(() => k.forward({ ...shape, bias, mean, variance, out })),
    msPerCall(() => k.backward({ ...shape, dy, mean, variance, dx, dWeight, dBias })),
    msPerCall(() => k.evaluate({ ...shape, bias, ...running, out })),
  ];
}

const defaults = wasmMatmulConfig();
const rows: string[] = [];
const fmt = (ms: number[]) => ms.map((t) => t.toFixed(2).padStart(6)).join(" ");
for (const [channels, side] of [[16, 28], [32, 14]]) {
  const name = `[64, ${channels}, ${side}, ${side}]`;
  rows.push(`${name.padEnd(19)} TypeScript           ${fmt(times(ts, channels, side, false))}`);
  for (const threads of wasmThreadsAvailable() ? [1, 2] : [1]) {
    setWasmMatmulConfig({ ...defaults, threads });
    for (const resident of [true, false]) {
      const where = resident ? "in wasm memory" : "copied";
      rows.push(`${name.padEnd(19)} wasm ${threads} thr, ${where.padEnd(14)}` +
        `${fmt(times(wasm, channels, side, resident))}`);
    }
  }
  setWasmMatmulConfig(defaults);
}
console.log("batch norm, float32, ms per call (median): forward, backward, eval");
for (const row of rows) console.log(row);
process.exit(0);
