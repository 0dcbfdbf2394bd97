// The WebAssembly runtime as the kernels see it: the slice of the API they use and what this
// runtime supports (SIMD, relaxed SIMD, shared memory, threads).
import { Body, ModuleBuilder, ValType } from "./binary.js";
import {
  F32X4_MUL, F32X4_RELAXED_MADD, type Instruction, emit, localGet,
} from "./instructions.js";
import { helperSpawner, threadsAvailable } from "./spawn.js";

// The WebAssembly global is not in the ES2022 lib; this is the slice of it used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
export const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Validates a one-function module with params `params` and the instructions `body`. */
function validates(params: ValType[], body: Instruction[], shared = false): boolean {
  if (wasmApi === undefined) return false;
  const code = new Body(params, [ValType.v128]);
  emit(code, ...body);
  const module = new ModuleBuilder({
    module: "env", name: "memory", initial: 1, maximum: 1, shared,
  });
  module.add(code, "f");
  try {
    return wasmApi.validate(module.encode());
  } catch {
    return false;
  }
}

const { v128 } = ValType;
let simd: boolean | undefined;
let relaxed: boolean | undefined;
let sharedOk: boolean | undefined;

/** Whether this runtime has WebAssembly with 128-bit SIMD (needed by `wasmMatmul`). */
export function wasmSimdAvailable(): boolean {
  simd ??= validates([v128, v128], [localGet(0), localGet(1), F32X4_MUL]);
  return simd;
}

/** Whether f32x4.relaxed_madd validates (Node 20 needs --experimental-wasm-relaxed-simd). */
export function wasmRelaxedSimdAvailable(): boolean {
  relaxed ??= validates([v128, v128, v128], [
    localGet(0), localGet(1), localGet(2), F32X4_RELAXED_MADD,
  ]);
  return relaxed;
}

/** Whether `threads` > 1 can work here: shared wasm memory and helper threads (spawn.ts). */
export function wasmThreadsAvailable(): boolean {
  return sharedMemoryAvailable() && threadsAvailable();
}

export function sharedMemoryAvailable(): boolean {
  sharedOk ??= typeof SharedArrayBuffer === "function" &&
    validates([v128], [localGet(0)], true);
  return sharedOk;
}

/**
 * Why `threads` > 1 cannot work here, naming what to change (for a page: the headers that make
 * it cross-origin isolated), or undefined when they can.
 */
export function threadsUnavailableReason(): string | undefined {
  if (!wasmSimdAvailable()) return "this runtime has no WebAssembly SIMD";
  const spawner = helperSpawner();
  if (typeof spawner === "string") return spawner;
  if (!sharedMemoryAvailable()) return "this runtime has no shared WebAssembly memory";
  return undefined;
}
