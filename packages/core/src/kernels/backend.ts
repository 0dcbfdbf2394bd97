// Backend selection: which implementation of the kernel contract (contract.ts) the ops call.
// The implementations (js-backend.ts, wasm-backend.ts) never import this module.
import type { Backend } from "./contract.js";
import { wasmBackend } from "./wasm-backend.js";

export type { Backend } from "./contract.js";

// The default: WebAssembly SIMD for float32 where available, else TypeScript.
let active: Backend = wasmBackend;

/** The backend the ops currently call. */
export function getBackend(): Backend {
  return active;
}

/** Selects the backend for all later ops; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}
