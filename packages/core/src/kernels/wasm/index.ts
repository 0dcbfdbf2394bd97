// The WebAssembly kernels' entry: the runners wasm-backend.ts calls, resident storage, the
// configuration and what the runtime supports. Each lives in the file named for it.
export {
  wasmRelaxedSimdAvailable, wasmSimdAvailable, wasmThreadsAvailable, threadsUnavailableReason,
} from "./runtime.js";
export {
  type WasmMatmulConfig, configureKernels, threadsStarted, wasmMatmulConfig,
} from "./state.js";
export { setWasmMatmulConfig } from "./threads.js";
export {
  isResidentFloat32, releaseResident, residentFloat32, residentFloat64, zeroResident,
} from "./resident.js";
export { type F32, wasmLinear, wasmMatmul } from "./gemm-runner.js";
export {
  wasmActivation, wasmBceLogits, wasmColumnSum, wasmLeakyStepMul,
} from "./map-runner.js";
export { wasmAdam, wasmDescend } from "./update-runner.js";
export { wasmGatherRows, wasmStartGatherRows } from "./gather-runner.js";
export { shareCuts } from "./balance.js";

export { type KernelConfig, type KernelExports, kernelModuleBytes } from "./kernel-module.js";
