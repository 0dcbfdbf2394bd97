// The loaded kernels: configuration, the module instances and their memories, the thread pool
// (when threads.ts installed it), the heap of the shared memory and the learned balances.
// Everything else in wasm/ runs on it.
import { EPILOGUES, epilogueName, kernelModuleBytes } from "./kernel-module.js";
import type { KernelConfig, KernelExports } from "./kernel-module.js";
import { WasmHeap } from "./heap.js";
import {
  type WasmMemory, sharedMemoryAvailable, wasmApi, wasmRelaxedSimdAvailable, wasmSimdAvailable,
} from "./runtime.js";
import { controlBytes } from "./slot-layout.js";
import type { SliceKernels } from "./slices.js";
import type { SparseHint } from "./sparse-runner.js";
import type { GemmPool } from "./thread-pool.js";
import { BASE_CALLS, moduleExtensions } from "./extensions.js";

/**
 * Kernel shape plus cache blocking: kc deep, mc rows of A and nc columns of B per packed block.
 * mc and nc should be multiples of the tile (mr, 4·vectors) or blocks end in edge tiles.
 */
export interface WasmMatmulConfig extends KernelConfig {
  kc: number;
  mc: number;
  nc: number;
  /** Threads per product including the caller; > 1 needs shared memory and Node workers. */
  threads: number;
  /** Smaller products (2·m·n·k flops) stay on one thread: a round costs a few microseconds. */
  parallelFlops: number;
  /**
   * The calling thread's share of threaded work, in (0, 1); undefined (the default) learns it
   * from the rounds run so far (see `Balance`). Results do not depend on it.
   */
  mainShare?: number;
  /**
   * Let the pool run threaded work on the caller alone while the helpers lose time, as on a
   * busy machine (ThreadChoice; the default); false always splits it. Results are the same.
   */
  backOff: boolean;
}

const PAGE = 65536;
export const ALIGN = 64;
const MAX_PAGES = 65536;

// 128-bit SIMD on x64 gives V8 15 usable xmm registers. Without FMA a 5×8 tile needs 10
// accumulators, 2 B vectors, the A broadcast and a product temporary; with FMA the temporary
// goes and a 6×8 tile fits. The k loop is not unrolled: TurboFan then hoists every load of the
// unrolled steps to the top and spills.
function defaultConfig(): WasmMatmulConfig {
  const fma = wasmRelaxedSimdAvailable();
  return {
    mr: fma ? 6 : 5, vectors: 2, unroll: 1, splat: "row", fma, shared: sharedMemoryAvailable(),
    skipZeros: true, kc: 400, mc: 120, nc: 1024, threads: 1, parallelFlops: 1e6,
    mainShare: undefined, backOff: true,
  };
}

/** One instance of the module and its memory, with a view that `reserve` keeps current. */
export interface Space {
  exports: KernelExports;
  memory: WasmMemory;
  f32: Float32Array;
}
/**
 * `threaded` (shared with the workers) runs products split over threads and kernels on
 * resident arrays; `local` runs the rest. With a shared memory, `local` is a second instance on
 * plain memory: V8 copies typed arrays into and out of a shared buffer with relaxed atomic
 * moves, about 3× slower than a memcpy.
 */
export interface State {
  config: WasmMatmulConfig;
  threaded: Space;
  local: Space;
  pool: GemmPool | undefined;
  /** What the calling thread runs pool slices with: the threaded exports and epilogues. */
  kernels: SliceKernels;
  /** What each product shape's left operand was like: its sparse path (sparse-runner.ts). */
  sparse: Map<number, SparseHint>;
  /** Blocks of the shared memory (resident arrays and the scratch), when it is shared. */
  heap: WasmHeap | undefined;
  /** Every buffer the shared memory has had: views made before a growth keep the old one. */
  buffers: WeakSet<object>;
  /** The threaded space's scratch block (copies of other operands, packed panels). */
  scratch: { ptr: number; bytes: number };
  /** The module extensions this build has (extensions.ts). */
  extensions: ReadonlySet<string>;
  /** The exports a call slice runs, by its number in this list. */
  calls: readonly string[];
}
let state: State | undefined;

/** The loaded state, without loading it. */
export function currentState(): State | undefined {
  return state;
}

/** The background gather in flight (gather-runner.ts): a reconfiguration finishes it first. */
export const gatherInFlight: { finish?: () => void } = {};
let pending: Partial<WasmMatmulConfig> = {};

/**
 * Starts the helper threads of a configuration with threads > 1. `installThreadPool`
 * (threads.ts) sets it when a program asks for threads, so that a program that never does
 * bundles none of the pool's code; `State.pool` is how everything else reaches the pool.
 */
export interface PoolStarter {
  /** The pool; throws a RangeError when this runtime cannot run helper threads. */
  start(
    module: object, memory: WasmMemory, config: WasmMatmulConfig, epilogues: readonly string[],
    calls: readonly string[],
  ): GemmPool;
}
let poolStarter: PoolStarter | undefined;

/** Sets what starts the helper threads (see `PoolStarter`). */
export function setPoolStarter(starter: PoolStarter): void {
  poolStarter = starter;
}

/**
 * Overrides kernel or blocking parameters; the module is rebuilt lazily. threads > 1 need the
 * pool starter: callers go through `setWasmMatmulConfig` (threads.ts), which installs it.
 */
export function configureKernels(config: Partial<WasmMatmulConfig>): void {
  gatherInFlight.finish?.();
  pending = { ...pending, ...config };
  state?.pool?.close();
  state = undefined;
}

/**
 * Loads the kernels (starting the helper threads) and resolves with the thread count once every
 * helper runs: a page's workers start only after their creator returns to its event loop.
 */
export async function threadsStarted(): Promise<number> {
  const pool = load().pool;
  if (pool === undefined) return 1;
  await pool.ready();
  return pool.threads;
}

/** The configuration in use, loading the module if needed. */
export function wasmMatmulConfig(): WasmMatmulConfig {
  return { ...load().config };
}

function checkConfig(config: WasmMatmulConfig): void {
  for (const key of ["mr", "vectors", "unroll", "kc", "mc", "nc", "threads"] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`wasmMatmul: ${key} must be a positive integer; got ${value}`);
    }
  }
  if ((config.unroll & (config.unroll - 1)) !== 0) {
    throw new RangeError(`wasmMatmul: unroll must be a power of two; got ${config.unroll}`);
  }
  if (typeof config.backOff !== "boolean") {
    throw new TypeError(`wasmMatmul: backOff must be a boolean; got ${String(config.backOff)}`);
  }
  const share = config.mainShare;
  if (share !== undefined && !(share > 0 && share < 1)) {
    throw new RangeError(`wasmMatmul: mainShare must be in (0, 1); got ${share}`);
  }
}

/** The epilogue exports by number (slices name them by number + 1; 0 is none). */
export const EPILOGUE_NAMES = EPILOGUES.flatMap((act) =>
  [false, true].map((withBias) => epilogueName(act, withBias)));

export function load(): State {
  if (state !== undefined) return state;
  const api = wasmApi;
  if (api === undefined || !wasmSimdAvailable()) {
    throw new Error("wasmMatmul: WebAssembly SIMD is not available in this runtime");
  }
  const config = { ...defaultConfig(), ...pending };
  checkConfig(config);
  const create = (shared: boolean): WasmMemory =>
    new api.Memory({ initial: 16, maximum: MAX_PAGES, shared });
  let memory: WasmMemory;
  try {
    memory = create(config.shared);
  } catch {
    // A shared memory reserves its maximum up front, which a constrained process may refuse.
    config.shared = false;
    memory = create(false);
  }
  // The extensions this build has (see extensions.ts), and the exports call slices may run.
  const built = [...moduleExtensions()];
  const calls = [...BASE_CALLS, ...built.flatMap((e) => e.calls)];
  const module = new api.Module(kernelModuleBytes(config));
  const threaded = space(module, memory);
  const pool = config.threads > 1 ? startPool(module, memory, config, calls) : undefined;
  const local = config.shared
    ? space(new api.Module(kernelModuleBytes({ ...config, shared: false })), create(false))
    : threaded;
  const heap = config.shared
    ? new WasmHeap(memory, controlBytes(config.threads, config.threads))
    : undefined;
  const buffers = new WeakSet<object>();
  if (heap !== undefined) buffers.add(memory.buffer);
  const kernels: SliceKernels = {
    ...(threaded.exports as unknown as Omit<SliceKernels, "epilogues" | "calls">),
    epilogues: EPILOGUE_NAMES.map((name) =>
      threaded.exports[name] as SliceKernels["epilogues"][number]),
    calls: calls.map((name) => threaded.exports[name] as SliceKernels["calls"][number]),
  };
  state = {
    config, threaded, local, pool, kernels, heap, buffers, sparse: new Map(),
    scratch: { ptr: 0, bytes: 0 }, extensions: new Set(built.map((e) => e.name)), calls,
  };
  return state;
}

/** The helper threads of `config` (threads > 1), from the installed `PoolStarter`. */
function startPool(
  module: object, memory: WasmMemory, config: WasmMatmulConfig, calls: readonly string[],
): GemmPool {
  if (poolStarter === undefined) {
    throw new Error("wasmMatmul: threads > 1 need the thread pool; set them with setNumThreads");
  }
  return poolStarter.start(module, memory, config, EPILOGUE_NAMES, calls);
}

export function space(module: object, memory: WasmMemory): Space {
  const instance = new wasmApi!.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  return { exports, memory, f32: new Float32Array(memory.buffer) };
}

export const roundUp = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

/** The first free byte after the threads' control block (unused, but kept, in `local`). */
export const dataStart = (s: State): number =>
  roundUp(Math.max(ALIGN, controlBytes(s.config.threads, s.config.threads)));

/** Grows the memory to at least `bytes` and refreshes the view (growth replaces the buffer). */
export function reserve(s: Space, bytes: number): void {
  const have = s.memory.buffer.byteLength;
  if (bytes > have) s.memory.grow(Math.ceil((bytes - have) / PAGE));
  // A detached (plain) view has length 0; a shared one keeps its old length.
  if (s.f32.length * 4 < bytes) s.f32 = new Float32Array(s.memory.buffer);
}

/** Refreshes the threaded view after the heap grew the shared memory; notes its new buffer. */
export function refresh(st: State): void {
  const s = st.threaded;
  const buffer = s.memory.buffer;
  if (s.f32.length * 4 !== buffer.byteLength) s.f32 = new Float32Array(buffer);
  st.buffers.add(buffer);
}

/** Whether x lives in the shared memory of `st`, so kernels can read it where it is. */
export function isResident(st: State, x: Float32Array): boolean {
  return st.heap !== undefined && st.buffers.has(x.buffer);
}

/** The threaded space's scratch block of at least `bytes`, reallocated when too small. */
export function threadedScratch(st: State, bytes: number): number {
  const scratch = st.scratch;
  if (bytes > scratch.bytes) {
    if (scratch.bytes > 0) st.heap!.free(scratch.ptr);
    scratch.bytes = 0; // stays consistent if alloc throws (memory exhausted)
    scratch.ptr = st.heap!.alloc(bytes);
    scratch.bytes = roundUp(bytes);
    refresh(st);
  }
  return scratch.ptr;
}
