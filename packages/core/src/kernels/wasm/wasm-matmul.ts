// Float32 matmul on a generated WebAssembly SIMD module, with the signature of the JS kernel.
import { Code, ModuleBuilder, ValType } from "./encoder.js";
import { matmulModuleBytes } from "./matmul-module.js";
import type { KernelConfig, MatmulExports } from "./matmul-module.js";

// The WebAssembly global is not in the ES2022 lib; this is the slice of it used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * Kernel shape plus cache blocking: kc deep, mc rows of A and nc columns of B per packed block.
 * mc and nc should be multiples of the tile (mr, 4·vectors) or blocks end in edge tiles.
 */
export interface WasmMatmulConfig extends KernelConfig {
  kc: number;
  mc: number;
  nc: number;
}

const PAGE = 65536;
const ALIGN = 64;
const MAX_PAGES = 65536;

/** Validates a one-function module with params `params` and a body from `emit`. */
function validates(params: ValType[], emit: (c: Code) => void, shared = false): boolean {
  if (wasmApi === undefined) return false;
  const code = new Code(params, [ValType.v128]);
  emit(code);
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
  simd ??= validates([v128, v128], (c) => c.get(0).get(1).f32x4Mul());
  return simd;
}

/** Whether f32x4.relaxed_madd validates (Node 20 needs --experimental-wasm-relaxed-simd). */
export function wasmRelaxedSimdAvailable(): boolean {
  relaxed ??= validates([v128, v128, v128], (c) => c.get(0).get(1).get(2).f32x4RelaxedMadd());
  return relaxed;
}

function sharedMemoryAvailable(): boolean {
  sharedOk ??= typeof SharedArrayBuffer === "function" &&
    validates([v128], (c) => c.get(0), true);
  return sharedOk;
}

// 128-bit SIMD on x64 gives V8 15 usable xmm registers. Without FMA a 5×8 tile needs 10
// accumulators, 2 B vectors, the A broadcast and a product temporary; with FMA the temporary
// goes and a 6×8 tile fits. The k loop is not unrolled: TurboFan then hoists every load of the
// unrolled steps to the top and spills.
function defaultConfig(): WasmMatmulConfig {
  const fma = wasmRelaxedSimdAvailable();
  return {
    mr: fma ? 6 : 5, vectors: 2, unroll: 1, splat: "row", fma, shared: sharedMemoryAvailable(),
    kc: 400, mc: 120, nc: 1024,
  };
}

interface State {
  config: WasmMatmulConfig;
  exports: MatmulExports;
  memory: WasmMemory;
  f32: Float32Array;
}
let state: State | undefined;
let pending: Partial<WasmMatmulConfig> = {};

/** Overrides kernel or blocking parameters (for benchmarks); the module is rebuilt lazily. */
export function setWasmMatmulConfig(config: Partial<WasmMatmulConfig>): void {
  pending = { ...pending, ...config };
  state = undefined;
}

/** The configuration in use, loading the module if needed. */
export function wasmMatmulConfig(): WasmMatmulConfig {
  return load().config;
}

function load(): State {
  if (state !== undefined) return state;
  if (wasmApi === undefined || !wasmSimdAvailable()) {
    throw new Error("wasmMatmul: WebAssembly SIMD is not available in this runtime");
  }
  const config = { ...defaultConfig(), ...pending };
  const create = (shared: boolean): WasmMemory =>
    new wasmApi.Memory({ initial: 16, maximum: MAX_PAGES, shared });
  let memory: WasmMemory;
  try {
    memory = create(config.shared);
  } catch {
    // A shared memory reserves its maximum up front, which a constrained process may refuse.
    config.shared = false;
    memory = create(false);
  }
  const module = new wasmApi.Module(matmulModuleBytes(config));
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as MatmulExports;
  state = { config, exports, memory, f32: new Float32Array(memory.buffer) };
  return state;
}

const roundUp = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

/** Grows the memory to at least `bytes` and refreshes the view (growth replaces the buffer). */
function reserve(s: State, bytes: number): void {
  const have = s.memory.buffer.byteLength;
  if (bytes > have) s.memory.grow(Math.ceil((bytes - have) / PAGE));
  // A detached (plain) view has length 0; a shared one keeps its old length.
  if (s.f32.length * 4 < bytes) s.f32 = new Float32Array(s.memory.buffer);
}

/** x[offset, offset + size), without a new view when that is all of x. */
function slice(x: Float32Array, offset: number, size: number): Float32Array {
  return offset === 0 && x.length === size ? x : x.subarray(offset, offset + size);
}

/**
 * out[m, n] = op(a) @ op(b), overwriting out, in float32 on WebAssembly SIMD. op(a) is
 * a: [m, k], or aᵀ when transA (a is then [k, m]); op(b) is b: [k, n], or bᵀ when transB (b is
 * then [n, k]). Offsets address one matrix inside a batch. Same contract as `matmul`.
 * @example wasmMatmul(a, b, out, 2, 3, 4); // a: [2, 3], b: [3, 4], out: [2, 4]
 */
export function wasmMatmul(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number,
  transA = false, transB = false,
  aOffset = 0, bOffset = 0, outOffset = 0,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) { out.fill(0, outOffset, outOffset + m * n); return; }
  const s = load();
  const { mr, kc: KC, mc: MC, nc: NC } = s.config;
  const nr = 4 * s.config.vectors;
  // Equal blocks (mc and nc rounded to whole tiles) avoid a thin last block.
  const kcEven = Math.ceil(k / Math.ceil(k / KC));
  const mcEven = Math.ceil(Math.ceil(m / Math.ceil(m / MC)) / mr) * mr;
  const ncEven = Math.ceil(Math.ceil(n / Math.ceil(n / NC)) / nr) * nr;
  // Layout: A, B, C copies, then the packed A block, the packed B block and one edge tile.
  const aPtr = ALIGN;
  const bPtr = aPtr + roundUp(4 * m * k);
  const cPtr = bPtr + roundUp(4 * k * n);
  const paPtr = cPtr + roundUp(4 * m * n);
  const pbPtr = paPtr + roundUp(4 * kcEven * mcEven);
  const tmpPtr = pbPtr + roundUp(4 * kcEven * ncEven);
  reserve(s, tmpPtr + roundUp(4 * mr * nr));
  const f32 = s.f32;
  f32.set(slice(a, aOffset, m * k), aPtr >> 2);
  f32.set(slice(b, bOffset, k * n), bPtr >> 2);
  // A(i, p) at aPtr + i·ars + p·acs and B(p, j) at bPtr + p·brs + j·bcs, in bytes.
  const ars = transA ? 4 : 4 * k;
  const acs = transA ? 4 * m : 4;
  const brs = transB ? 4 : 4 * n;
  const bcs = transB ? 4 * k : 4;
  s.exports.gemm(aPtr, ars, acs, bPtr, brs, bcs, cPtr, 4 * n, m, n, k, kcEven, mcEven, ncEven,
    paPtr, pbPtr, tmpPtr);
  out.set(f32.subarray(cPtr >> 2, (cPtr >> 2) + m * n), outOffset);
}
