// Threads for the WebAssembly kernels: how many a product uses, and when they run. Its own
// module so that only a program that sets threads bundles the thread pool (wasm/threads.ts).
import {
  setWasmMatmulConfig, threadsStarted, threadsUnavailableReason, wasmMatmulConfig,
  wasmSimdAvailable,
} from "./wasm/index.js";

/**
 * Sets how many threads a large float32 matrix product uses (the caller plus n − 1 worker
 * threads sharing WebAssembly memory). Results are identical for a given count. Products
 * under 1 MFLOP stay on one thread. Throws where threads are unavailable, saying what to change:
 * in a browser, threads need a cross-origin isolated page (COOP/COEP headers) and a Web Worker.
 */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    const got = typeof threads === "string" ? `${JSON.stringify(threads)} (a string)` : threads;
    throw new RangeError(`setNumThreads: threads must be a positive integer; got ${got}`);
  }
  const unavailable = threads > 1 ? threadsUnavailableReason() : undefined;
  if (unavailable !== undefined) {
    throw new Error(`setNumThreads: cannot use ${threads} threads; ${unavailable}`);
  }
  setWasmMatmulConfig({ threads });
}

/**
 * Resolves with the number of threads that share products (the caller and its helpers) once
 * every helper thread that `setNumThreads` asked for is running. A browser starts a worker only
 * after the thread that made it returns to its event loop, and `fit`'s steps never do: in a page,
 * await this after `setNumThreads` (and before training), or the helpers sit idle until the
 * next time the loop yields (the results are the same, only slower). Rejects if a helper cannot
 * start within 10 s. In Node the helpers start on their own; awaiting costs nothing.
 * @example
 * ```ts
 * setNumThreads(2);
 * await threadsReady(); // 2
 * ```
 */
export async function threadsReady(): Promise<number> {
  return wasmSimdAvailable() ? threadsStarted() : 1;
}

/** The thread count set by `setNumThreads` (1 by default, or when SIMD is unavailable). */
export function getNumThreads(): number {
  return wasmSimdAvailable() ? wasmMatmulConfig().threads : 1;
}
