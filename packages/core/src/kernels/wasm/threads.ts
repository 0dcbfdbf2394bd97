// Threads in the wasm kernels, installed on demand: the pool (thread-pool.ts) and what only it
// needs join a program through these functions, so a program that never asks for threads
// bundles none of that code (state.ts reaches the pool through `State.pool` only).
import { type WasmMatmulConfig, configureKernels, setPoolStarter } from "./state.js";
import { threadsAvailable } from "./spawn.js";
import { GemmPool } from "./thread-pool.js";

/** Lets configurations with threads > 1 start helper threads (`GemmPool`); idempotent. */
export function installThreadPool(): void {
  setPoolStarter({
    start: (module, memory, config, epilogues, calls) => {
      if (!(config.shared && threadsAvailable())) {
        throw new RangeError(
          `wasmMatmul: threads > 1 need shared memory and worker threads; got ${config.threads}`);
      }
      return new GemmPool(module, memory, config.threads, config.threads, epilogues, calls,
        config.backOff, config.mainShare);
    },
  });
}

/**
 * Overrides kernel or blocking parameters (for benchmarks and tests), installing the thread
 * pool when `threads` > 1; the module is rebuilt lazily.
 */
export function setWasmMatmulConfig(config: Partial<WasmMatmulConfig>): void {
  if (config.threads !== undefined && config.threads > 1) installThreadPool();
  configureKernels(config);
}
