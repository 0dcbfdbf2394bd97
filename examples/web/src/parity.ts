// The seeded run that the page (in its worker) and Node must agree on bit for bit: the seed
// network trained for a few hundred steps with Adam; the losses of every step and a hash of the
// weights. It runs anywhere; the caller sets the thread count first.
import { getNumThreads, releaseStorage } from "@tapegrad/core";
import { Adam, fit, fromSpec, modelToSafetensors, seedSpec } from "@tapegrad/nn";
import { type MnistFiles, toImageTensor } from "@tapegrad/mnist/browser";
import type { ParityResult, ParitySettings } from "./protocol.js";

// A module with one function doing f32x4.relaxed_madd: valid where relaxed SIMD is on, which
// decides the kernels (fused multiply-add, a 6-row tile) and so their float32 rounding.
const RELAXED_MADD = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version
  1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b, // type: (v128, v128, v128) -> v128
  3, 2, 1, 0, // one function of that type
  0x0a, 0x0d, 1, 0x0b, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 2, 0x0b, // local.get ×3, madd
]);

/** Whether this runtime has WebAssembly relaxed SIMD (Chromium does; Node 20 behind a flag). */
export function relaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_MADD);
}

/** Hex SHA-256 of bytes (Web Crypto: in pages, workers and Node alike). */
export async function sha256(bytes: Uint8Array): Promise<string> {
  // A copy: digest takes no view of shared memory.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Trains the seed network (784-128-64-10, seeded) for `steps` steps of `batchSize` on the first
 * training images, shuffled with seed + 1, and reports each step's loss and the weights' hash.
 * @example const { losses } = await parityRun(files, { steps: 300, batchSize: 64, seed: 7 });
 */
export async function parityRun(
  files: MnistFiles, settings: ParitySettings,
): Promise<ParityResult> {
  const { steps, batchSize, seed } = settings;
  const count = steps * batchSize;
  const x = toImageTensor(files.train, count);
  const y = files.train.labels.subarray(0, count);
  const model = fromSpec({ ...seedSpec(), seed });
  const optimizer = new Adam(model.parameters(), { learningRate: 1e-3 });
  const history = await fit(model, { x, y }, { epochs: 1, batchSize, optimizer, seed: seed + 1 });
  releaseStorage(x.data); // a page may run this again: give its WebAssembly memory back
  return {
    losses: history.stepLosses,
    weightsSha256: await sha256(modelToSafetensors(model)),
    threads: getNumThreads(),
    relaxedSimd: relaxedSimd(),
  };
}
