// Picks the kernels a benchmark runs on: the pure-TypeScript ones, or the fast backend.
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import {
  getBackend, jsBackend, setBackend, setNumThreads, setSkipZeros,
} from "@tapegrad/core";
// Internal switches (not in the public API): the same module instance as @tapegrad/core's.
import { setWasmMatmulConfig } from "../packages/core/dist/kernels/wasm/index.js";

/** Selects the backend (and thread count) for a benchmark run and returns a description. */
export function configureFastKernels(
  options: {
    js: boolean; threads?: string; relaxedSimd?: boolean; dense?: boolean; noBackOff?: boolean;
  },
): string {
  // Node 20 has WebAssembly relaxed SIMD (fused multiply-add) behind this V8 flag; Node 22 has
  // it on by default. It must be set before the first module is compiled.
  if (options.relaxedSimd === true) setFlagsFromString("--experimental-wasm-relaxed-simd");
  if (options.js) setBackend(jsBackend);
  // The training CLI's default: two threads where there are two cores.
  const threads = Number(options.threads ?? (availableParallelism() >= 2 ? 2 : 1));
  if (!options.js) setNumThreads(threads);
  if (options.dense === true) setSkipZeros(false);
  // Always split threaded work, even while the helpers lose time (what 2 threads did before).
  if (options.noBackOff === true && !options.js) setWasmMatmulConfig({ backOff: false });
  const fma = options.relaxedSimd === true ? ", relaxed-SIMD FMA" : "";
  const zeros = options.dense === true ? ", dense (no zero skipping)" : ", zero skipping";
  const name = getBackend().name;
  const backOff = options.noBackOff === true ? ", no back-off" : "";
  return options.js ? name : `${name}, ${threads} thread(s)${fma}${zeros}${backOff}`;
}
