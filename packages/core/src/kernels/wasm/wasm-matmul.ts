// Float32 matmul on a generated WebAssembly SIMD module, with the signature of the JS kernel.
import { Code, ModuleBuilder, ValType } from "./encoder.js";
import type { AdamArgs, FusedActivation, LinearArgs, MatmulArgs } from "../contract.js";
import { biasActivation } from "../elementwise.js";
import { EPILOGUES, epilogueName, matmulModuleBytes } from "./matmul-module.js";
import type { KernelConfig, MatmulExports } from "./matmul-module.js";
import {
  Balance, GEMM_ARGS, GemmPool, MAP_KERNELS, SliceKind, type SliceKernels, controlBytes,
  threadsAvailable,
} from "./wasm-threads.js";
import type { FloatArray } from "../../dtype.js";
import { adam } from "../update.js";
import { WasmHeap } from "./heap.js";
import { compactPanelBytes } from "./sparse-module.js";

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
  /** Threads per product including the caller; > 1 needs shared memory and Node workers. */
  threads: number;
  /** Smaller products (2·m·n·k flops) stay on one thread: a round costs a few microseconds. */
  parallelFlops: number;
  /**
   * The calling thread's share of threaded work, in (0, 1); undefined (the default) learns it
   * from the rounds run so far (see `Balance`). Results do not depend on it.
   */
  mainShare?: number;
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

/** Whether `threads` > 1 can work here: shared wasm memory and Node worker threads. */
export function wasmThreadsAvailable(): boolean {
  return sharedMemoryAvailable() && threadsAvailable();
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
    skipZeros: true, kc: 400, mc: 120, nc: 1024, threads: 1, parallelFlops: 1e6,
    mainShare: undefined,
  };
}

/** One instance of the module and its memory, with a view that `reserve` keeps current. */
interface Space {
  exports: MatmulExports;
  memory: WasmMemory;
  f32: Float32Array;
}
/**
 * `threaded` (shared with the workers) runs products split over threads and kernels on
 * resident arrays; `local` runs the rest. With a shared memory, `local` is a second instance on
 * plain memory: V8 copies typed arrays into and out of a shared buffer with relaxed atomic
 * moves, about 3× slower than a memcpy.
 */
interface State {
  config: WasmMatmulConfig;
  threaded: Space;
  local: Space;
  pool: GemmPool | undefined;
  /** What the calling thread runs pool slices with: the threaded exports and epilogues. */
  kernels: SliceKernels;
  /**
   * The caller's share of work: one per product shape (which thread's cache holds what differs
   * from one product of a step to the next), one for elementwise updates and one for maps.
   */
  balance: { products: Map<number, Balance>; updates: Balance; maps: Balance };
  /** Blocks of the shared memory (resident arrays and the scratch), when it is shared. */
  heap: WasmHeap | undefined;
  /** Every buffer the shared memory has had: views made before a growth keep the old one. */
  buffers: WeakSet<object>;
  /** The threaded space's scratch block (copies of other operands, packed panels). */
  scratch: { ptr: number; bytes: number };
}
let state: State | undefined;
let pending: Partial<WasmMatmulConfig> = {};

/** Overrides kernel or blocking parameters (for benchmarks); the module is rebuilt lazily. */
export function setWasmMatmulConfig(config: Partial<WasmMatmulConfig>): void {
  pendingGather?.();
  pending = { ...pending, ...config };
  state?.pool?.close();
  state = undefined;
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
  const share = config.mainShare;
  if (share !== undefined && !(share > 0 && share < 1)) {
    throw new RangeError(`wasmMatmul: mainShare must be in (0, 1); got ${share}`);
  }
}

/**
 * Cuts `length` items into `parts` slices of whole `unit`s: slice 0 (the caller's) about
 * `share` of them, the rest equal. Returns the parts+1 boundaries (empty slices allowed).
 */
export function shareCuts(length: number, parts: number, share: number, unit: number): number[] {
  const units = Math.ceil(length / unit);
  const first = parts === 1 ? units : Math.min(units, Math.max(1, Math.round(units * share)));
  const cuts = [0, Math.min(length, first * unit)];
  const rest = Math.ceil((units - first) / Math.max(parts - 1, 1));
  for (let t = 1; t < parts; t++) cuts.push(Math.min(length, (first + t * rest) * unit));
  return cuts;
}

/** The epilogue exports by number (slices name them by number + 1; 0 is none). */
const EPILOGUE_NAMES = EPILOGUES.flatMap((act) =>
  [false, true].map((withBias) => epilogueName(act, withBias)));

function load(): State {
  if (state !== undefined) return state;
  if (wasmApi === undefined || !wasmSimdAvailable()) {
    throw new Error("wasmMatmul: WebAssembly SIMD is not available in this runtime");
  }
  const config = { ...defaultConfig(), ...pending };
  checkConfig(config);
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
  const threaded = space(module, memory);
  if (config.threads > 1 && !(config.shared && threadsAvailable())) {
    throw new RangeError(
      `wasmMatmul: threads > 1 need shared memory and worker threads; got ${config.threads}`);
  }
  const pool = config.threads > 1
    ? new GemmPool(module, memory, config.threads, config.threads, EPILOGUE_NAMES)
    : undefined;
  const local = config.shared
    ? space(new wasmApi.Module(matmulModuleBytes({ ...config, shared: false })), create(false))
    : threaded;
  const heap = config.shared
    ? new WasmHeap(memory, controlBytes(config.threads, config.threads))
    : undefined;
  const buffers = new WeakSet<object>();
  if (heap !== undefined) buffers.add(memory.buffer);
  const balance = {
    products: new Map<number, Balance>(),
    updates: new Balance(config.threads, config.mainShare),
    maps: new Balance(config.threads, config.mainShare),
  };
  const kernels: SliceKernels = {
    ...(threaded.exports as unknown as Omit<SliceKernels, "epilogues">),
    epilogues: EPILOGUE_NAMES.map((name) =>
      threaded.exports[name] as SliceKernels["epilogues"][number]),
  };
  state = {
    config, threaded, local, pool, kernels, balance, heap, buffers,
    scratch: { ptr: 0, bytes: 0 },
  };
  return state;
}

function space(module: object, memory: WasmMemory): Space {
  const instance = new wasmApi!.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as MatmulExports;
  return { exports, memory, f32: new Float32Array(memory.buffer) };
}

const roundUp = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

/** The first free byte after the threads' control block (unused, but kept, in `local`). */
const dataStart = (s: State): number =>
  roundUp(Math.max(ALIGN, controlBytes(s.config.threads, s.config.threads)));

/** Grows the memory to at least `bytes` and refreshes the view (growth replaces the buffer). */
function reserve(s: Space, bytes: number): void {
  const have = s.memory.buffer.byteLength;
  if (bytes > have) s.memory.grow(Math.ceil((bytes - have) / PAGE));
  // A detached (plain) view has length 0; a shared one keeps its old length.
  if (s.f32.length * 4 < bytes) s.f32 = new Float32Array(s.memory.buffer);
}

/** Refreshes the threaded view after the heap grew the shared memory; notes its new buffer. */
function refresh(st: State): void {
  const s = st.threaded;
  const buffer = s.memory.buffer;
  if (s.f32.length * 4 !== buffer.byteLength) s.f32 = new Float32Array(buffer);
  st.buffers.add(buffer);
}

/** Whether x lives in the shared memory of `st`, so kernels can read it where it is. */
function isResident(st: State, x: Float32Array): boolean {
  return st.heap !== undefined && st.buffers.has(x.buffer);
}

/** The threaded space's scratch block of at least `bytes`, reallocated when too small. */
function threadedScratch(st: State, bytes: number): number {
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

interface Block {
  heap: WasmHeap;
  ptr: number;
}
// Resident arrays nobody references any more give their block back after a collection.
const registry = new FinalizationRegistry<Block>(({ heap, ptr }) => heap.free(ptr));
const residentBlocks = new WeakMap<Float32Array | Float64Array, Block>();

/**
 * A zeroed float32 array of `length` elements stored in the shared WebAssembly memory, which
 * the wasm kernels read and write in place (no copies); null where that memory is unavailable
 * (no SIMD or no SharedArrayBuffer). Its block returns to the heap after the array is garbage
 * collected, or at once with `releaseResident`.
 */
export function residentFloat32(length: number): Float32Array | null {
  return residentArray(Float32Array, length);
}

/** As `residentFloat32`, for float64 (optimizer moments, which the Adam kernel updates). */
export function residentFloat64(length: number): Float64Array | null {
  return residentArray(Float64Array, length);
}

interface FloatArrayType<T> {
  new (buffer: ArrayBufferLike, offset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

function residentArray<T extends Float32Array | Float64Array>(
  type: FloatArrayType<T>, length: number,
): T | null {
  if (!wasmSimdAvailable()) return null;
  const st = load();
  if (st.heap === undefined) return null;
  const bytes = type.BYTES_PER_ELEMENT;
  let dirty = 0;
  const ptr = st.heap.allocZeroed(bytes * length, (_, n) => { dirty = Math.ceil(n / bytes); });
  refresh(st);
  const view = new type(st.threaded.memory.buffer, ptr, length);
  view.fill(0, 0, dirty);
  const block = { heap: st.heap, ptr };
  registry.register(view, block, view);
  residentBlocks.set(view, block);
  return view;
}

/**
 * Frees the block of an array from `residentFloat32` now; the array (and every view of it)
 * must not be used afterwards. Arrays from elsewhere are ignored.
 */
export function releaseResident(view: Float32Array | Float64Array): void {
  const block = residentBlocks.get(view);
  if (block === undefined) return;
  residentBlocks.delete(view);
  registry.unregister(view);
  block.heap.free(block.ptr);
}

/**
 * Whether x came from `residentFloat32` (and was not released) since the kernels were last
 * configured: `setNumThreads` starts a new memory, and older resident arrays are copied again.
 */
export function isResidentFloat32(x: Float32Array | Float64Array): boolean {
  return state !== undefined && wholeResident(state, x);
}

/** Whether every array is a whole block of this state's heap (padded to 16 bytes). */
function wholeResident(st: State, ...arrays: Array<Float32Array | Float64Array>): boolean {
  return arrays.every((x) => {
    const block = residentBlocks.get(x);
    return block !== undefined && block.heap === st.heap;
  });
}

/**
 * Copies `inputs` one after another into local memory, runs `kernel` on their pointers (the
 * last pointer is the free space after them, `extraBytes` long) and copies `out.length` floats
 * from the pointer it returns into out: the path for operands outside the shared memory.
 */
function throughLocal(
  st: State, inputs: readonly Float32Array[], out: Float32Array, extraBytes: number,
  kernel: (s: Space, pointers: number[]) => number,
): void {
  const s = st.local;
  const pointers = [dataStart(st)];
  for (const x of inputs) pointers.push(pointers[pointers.length - 1] + roundUp(4 * x.length));
  reserve(s, pointers[pointers.length - 1] + extraBytes);
  inputs.forEach((x, i) => s.f32.set(x, pointers[i] >> 2));
  const result = kernel(s, pointers);
  out.set(s.f32.subarray(result >> 2, (result >> 2) + out.length));
}

const args = new Array<number>(GEMM_ARGS).fill(0);

/** Equal blocks (mc and nc rounded to whole tiles) for an m×k by k×n product: [kc, mc, nc]. */
function blocks(config: WasmMatmulConfig, m: number, k: number, n: number): number[] {
  const nr = 4 * config.vectors;
  const kc = Math.ceil(k / Math.ceil(k / config.kc));
  const mc = Math.ceil(Math.ceil(m / Math.ceil(m / config.mc)) / config.mr) * config.mr;
  const nc = Math.ceil(Math.ceil(n / Math.ceil(n / config.nc)) / nr) * nr;
  return [kc, mc, nc];
}

/**
 * Scratch of one thread for any slice of at most m×k by k×n, starting at `base`: the packed A,
 * packed B and edge tile pointers (the compacted A panels follow the edge tile), then the end.
 */
function scratchLayout(
  config: WasmMatmulConfig, m: number, k: number, n: number, base: number,
): [number, number, number, number] {
  // blocks() gives kc ≤ min(k, kc), mc ≤ min(m, mc) and nc ≤ min(n, nc), rounded to tiles.
  const { mr, vectors } = config;
  const nr = 4 * vectors;
  const kc = Math.min(k, config.kc);
  const mc = Math.ceil(Math.min(m, config.mc) / mr) * mr;
  const nc = Math.ceil(Math.min(n, config.nc) / nr) * nr;
  const pb = base + roundUp(4 * kc * mc);
  const tmp = pb + roundUp(4 * kc * nc);
  const compact = config.skipZeros ? (mc / mr) * compactPanelBytes(mr, kc) : 0;
  return [base, pb, tmp, tmp + roundUp(4 * mr * nr + compact)];
}

/** Fills args[8..16]: sizes, blocking and scratch pointers of one slice. */
function gemmArgs(config: WasmMatmulConfig, m: number, k: number, n: number, at: number): void {
  const [kc, mc, nc] = m > 0 && n > 0 ? blocks(config, m, k, n) : [1, 1, 1];
  args[8] = m; args[9] = n; args[10] = k;
  args[11] = kc; args[12] = mc; args[13] = nc;
  [args[14], args[15], args[16]] = scratchLayout(config, m, k, n, at);
}

/** x[offset, offset + size), without a new view when that is all of x. */
function slice(x: Float32Array, offset: number, size: number): Float32Array {
  return offset === 0 && x.length === size ? x : x.subarray(offset, offset + size);
}

/**
 * out[m, n] = op(a) @ op(b), overwriting out, in float32 on WebAssembly SIMD: the `matmul`
 * kernel's contract (`MatmulArgs`).
 * @example wasmMatmul({ a, b, out, m: 2, k: 3, n: 4 }); // a: [2, 3], b: [3, 4], out: [2, 4]
 */
export function wasmMatmul(args: MatmulArgs & F32<"a" | "b" | "out">): void {
  const { a, b, out, m, k, n, transA = false, transB = false } = args;
  const { aOffset = 0, bOffset = 0, outOffset = 0 } = args;
  product(a, b, out, m, k, n, transA, transB, aOffset, bOffset, outOffset, null, "identity", 0);
}

/** The record with the named fields narrowed to float32 (what the wasm kernels take). */
export type F32<K extends string> = { readonly [P in K]: Float32Array };

/**
 * out[m, n] = act(x @ w + bias) for x: [m, k], w: [k, n], bias: [n] or null: the product, then
 * the bias and activation applied in WebAssembly memory before the result is copied out.
 * Rounds exactly like `matmul` followed by the TypeScript `biasActivation`.
 */
export function wasmLinear(
  args: LinearArgs & F32<"x" | "w" | "out"> & { readonly bias: Float32Array | null },
): void {
  const { x, w, bias, out, m, k, n, activation, slope } = args;
  product(x, w, out, m, k, n, false, false, 0, 0, 0, bias, activation, slope);
}

/**
 * out[i] = dy[i] · (y[i] > 0 ? 1 : p) in float32 on WebAssembly SIMD: the same values as the
 * TypeScript `leakyStepMul` (p rounded to float32, one rounding per product).
 */
export function wasmLeakyStepMul(
  dy: Float32Array, y: Float32Array, out: Float32Array, p: number,
): void {
  runPairKernel("stepMul", dy, y, out, p);
}

/**
 * w[i] ← w[i] − learningRate · g[i] in place, in float32 on WebAssembly SIMD with the
 * arithmetic in f64: the same values as the TypeScript `descend`.
 */
export function wasmDescend(w: Float32Array, g: Float32Array, learningRate: number): void {
  runPairKernel("descend", w, g, w, learningRate);
}

/**
 * out = softplus(x) or sigmoid(x) in float32 on WebAssembly SIMD (f64 inside, one rounding).
 * Equal to the TypeScript kernels except, rarely, by one unit in the last place.
 */
export function wasmActivation(
  name: "softplus" | "sigmoid", x: Float32Array, out: Float32Array,
): void {
  runMap(name, [x], out);
}

/**
 * out = softplus(x) − t·x (with `dy`: out = (sigmoid(x) − t)·dy) in float32 on WebAssembly
 * SIMD, f64 inside and one rounding. Equal to the TypeScript `bceLogits`/`bceLogitsGrad`
 * except, rarely, by one unit in the last place.
 */
export function wasmBceLogits(
  x: Float32Array, t: Float32Array, dy: Float32Array | null, out: Float32Array,
): void {
  if (dy === null) runMap("bceLogits", [x, t], out);
  else runMap("bceLogitsGrad", [x, t, dy], out);
}

/**
 * Runs the map export `name(...inputPtrs, outPtr, count)` (activation-module.ts): in place for
 * whole resident arrays, else on copies in local memory, the result over the first input's copy.
 */
function runMap(
  name: "softplus" | "sigmoid" | "bceLogits" | "bceLogitsGrad",
  inputs: readonly Float32Array[], out: Float32Array,
): void {
  const count = out.length;
  if (count === 0) return;
  const st = load();
  const run = (s: Space, pointers: number[], outPtr: number): void =>
    (s.exports[name] as (...args: number[]) => void)(...pointers, outPtr, count);
  if (wholeResident(st, ...inputs, out)) {
    const pointers = inputs.map((x) => x.byteOffset);
    const at = (start: number, n: number): number[] => [
      MAP_KERNELS.indexOf(name),
      ...[0, 1, 2].map((i) => (i < pointers.length ? pointers[i] + 4 * start : 0)),
      out.byteOffset + 4 * start, n,
    ];
    if (!runSplit(st, MAP_COST * count, count, 4, SliceKind.map, [], at)) {
      run(st.threaded, pointers, out.byteOffset);
    }
    return;
  }
  throughLocal(st, inputs, out, 0, (s, pointers) => {
    run(s, pointers.slice(0, inputs.length), pointers[0]);
    return pointers[0];
  });
}

/**
 * Runs the elementwise export `name(aPtr, bPtr, outPtr, count, scalar)` (descend has no outPtr
 * and writes over a). Whole resident blocks are used in place; otherwise a and b are copied
 * into local memory, the result is written over a's copy and copied into out.
 */
function runPairKernel(
  name: "stepMul" | "descend", a: Float32Array, b: Float32Array, out: Float32Array,
  scalar: number,
): void {
  const count = out.length;
  if (count === 0) return;
  const st = load();
  if (!wholeResident(st, a, b, out)) {
    throughLocal(st, [a, b], out, 0, (s, [aPtr, bPtr]) => {
      if (name === "stepMul") s.exports.stepMul(aPtr, bPtr, aPtr, count, scalar);
      else s.exports.descend(aPtr, bPtr, count, scalar);
      return aPtr;
    });
    return;
  }
  const e = st.threaded.exports;
  const [aPtr, bPtr] = [a.byteOffset, b.byteOffset];
  if (name === "stepMul") e.stepMul(aPtr, bPtr, out.byteOffset, count, scalar);
  else if (!runSplit(st, count, count, 4, SliceKind.descend, [scalar],
    (start, n) => [aPtr + 4 * start, bPtr + 4 * start, n])) {
    e.descend(aPtr, bPtr, count, scalar);
  }
}

/**
 * One Adam/AdamW step in place on WebAssembly SIMD when w, g (float32) and the moments m, v
 * (float64) are whole resident arrays; else the TypeScript kernel. The same bits either way.
 */
export function wasmAdam(h: AdamArgs): void {
  const { w, g, m, v } = h;
  const st = wasmSimdAvailable() && w instanceof Float32Array && g instanceof Float32Array
    ? load()
    : undefined;
  if (st === undefined || !wholeResident(st, w as Float32Array, g as Float32Array, m, v)) {
    adam(h);
    return;
  }
  const scalars = [h.learningRate, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.c1, h.c2, h.eps,
    h.decoupled ? h.learningRate * h.weightDecay : h.weightDecay];
  const at = (start: number) =>
    [w.byteOffset + 4 * start, g.byteOffset + 4 * start, m.byteOffset + 8 * start,
      v.byteOffset + 8 * start];
  const kind = h.decoupled ? SliceKind.adamW : SliceKind.adamL2;
  if (runSplit(st, w.length, w.length, 4, kind, scalars, (start, n) => [...at(start), n])) return;
  const e = st.threaded.exports;
  const [wp, gp, mp, vp] = at(0);
  (h.decoupled ? e.adamW : e.adamL2)(wp, gp, mp, vp, w.length, ...scalars);
}

/**
 * out row r = x row indices[r] (rows of rowSize floats) with memory.copy when x and out live in
 * the shared memory, split over the threads for long batches; returns false (nothing done)
 * otherwise. The indices are checked by the caller.
 */
export function wasmGatherRows(
  x: Float32Array, rowSize: number, indices: ArrayLike<number>, out: Float32Array,
): boolean {
  if (!wasmSimdAvailable()) return false;
  const st = load();
  if (!isResident(st, x) || !isResident(st, out)) return false;
  const count = indices.length;
  const index = threadedScratch(st, 4 * count);
  new Int32Array(st.threaded.memory.buffer, index, count).set(indices);
  const rowBytes = 4 * rowSize;
  const at = (start: number, n: number) =>
    [x.byteOffset, rowBytes, index + 4 * start, n, out.byteOffset + start * rowBytes];
  if (!runSplit(st, count * rowSize, count, 1, SliceKind.gatherRows, [], at)) {
    const [src, bytes, idx, n, dst] = at(0, count);
    st.threaded.exports.gatherRows(src, bytes, idx, n, dst);
  }
  return true;
}

/**
 * Starts `wasmGatherRows` on a helper thread, which runs it when idle, and returns a function
 * that waits for it (running it here if no helper has started). Null (nothing started) without
 * helper threads or when x or out is not in the shared memory. At most one is in flight: a new
 * one first waits for the last.
 */
export function wasmStartGatherRows(
  x: Float32Array, rowSize: number, indices: ArrayLike<number>, out: Float32Array,
): (() => void) | null {
  if (!wasmSimdAvailable()) return null;
  const st = load();
  const { pool, heap } = st;
  if (pool === undefined || heap === undefined || !isResident(st, x) || !isResident(st, out)) {
    return null;
  }
  pendingGather?.();
  const count = indices.length;
  const index = heap.alloc(4 * Math.max(count, 1)); // its own block: the scratch gets reused
  refresh(st);
  new Int32Array(st.threaded.memory.buffer, index, count).set(indices);
  pool.postBackground([x.byteOffset, 4 * rowSize, index, count, out.byteOffset]);
  const finish = (): void => {
    if (pendingGather !== finish) return;
    pendingGather = undefined;
    try {
      pool.finishBackground(st.kernels);
    } finally {
      heap.free(index);
    }
  };
  pendingGather = finish;
  return finish;
}
let pendingGather: (() => void) | undefined;

/** The learned share for products of this shape and layout (kept for 4096 shapes at most). */
function productBalance(
  st: State, m: number, k: number, n: number, transA: boolean, transB: boolean,
): Balance {
  const key = ((m * 65536 + n) * 65536 + k) * 4 + (transA ? 2 : 0) + (transB ? 1 : 0);
  let balance = st.balance.products.get(key);
  if (balance === undefined) {
    if (st.balance.products.size >= 4096) st.balance.products.clear();
    balance = new Balance(st.config.threads, st.config.mainShare);
    st.balance.products.set(key, balance);
  }
  return balance;
}

/** Elementwise work of at least this many elements is split over the threads. */
const PARALLEL_ELEMENTS = 32768;
/** An element of a map (exp and log in f64) costs about as much as this many of an update. */
const MAP_COST = 32;

/**
 * Runs a kernel over `count` items in one slice per thread (slice starts a multiple of
 * `align`), with `args(start, n)` the slice's integer arguments and `scalars` its shared float
 * ones; false (nothing run) without helper threads or when the `work` (in elements of an SGD
 * update) is too little to pay for a round.
 */
function runSplit(
  st: State, work: number, count: number, align: number, kind: number,
  scalars: readonly number[], args: (start: number, n: number) => number[],
): boolean {
  const { pool } = st;
  if (pool === undefined || work < PARALLEL_ELEMENTS) return false;
  const balance = kind === SliceKind.map ? st.balance.maps : st.balance.updates;
  const cuts = shareCuts(count, pool.threads, balance.share(), align);
  for (let t = 0; t < pool.threads; t++) {
    pool.setSlice(t, args(cuts[t], cuts[t + 1] - cuts[t]), kind);
  }
  pool.setScalars(scalars);
  pool.run(pool.threads, st.kernels, balance, cuts[1] / count);
  return true;
}

/**
 * out[j] = Σ_i x[i, j] for x: [rows, cols] in float32 on WebAssembly SIMD, rows in order with
 * one rounding per addition: the same values as the TypeScript `reduce` on that layout.
 */
export function wasmColumnSum(
  x: Float32Array, out: Float32Array, rows: number, cols: number,
): void {
  if (cols === 0) return;
  const st = load();
  if (isResident(st, x) && isResident(st, out)) {
    st.threaded.exports.colSum(x.byteOffset, out.byteOffset, rows, cols);
    return;
  }
  throughLocal(st, [x], out, 4 * cols, (s, [xPtr, outPtr]) => {
    s.exports.colSum(xPtr, outPtr, rows, cols);
    return outPtr;
  });
}

function product(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number,
  transA: boolean, transB: boolean,
  aOffset: number, bOffset: number, outOffset: number,
  bias: Float32Array | null, act: FusedActivation, slope: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + m * n);
    if (bias !== null || act !== "identity") {
      biasActivation({
        out: out.subarray(outOffset, outOffset + m * n), bias, rows: m, cols: n,
        activation: act, slope,
      });
    }
    return;
  }
  const st = load();
  const { config, pool } = st;
  const { mr, threads } = config;
  const nr = 4 * config.vectors;
  // Split the longer of m and n into whole-tile slices, one per thread, if worth a wake-up; on a
  // tie the rows, so each thread packs (and compacts) only its own rows of A. In alternating
  // runs that made the MNIST layer-1 product 6 % faster than splitting the columns.
  const slices = threads > 1 && 2 * m * n * k >= config.parallelFlops ? threads : 1;
  // Operands already in the shared memory are read and written there; the rest are copied in.
  const inA = isResident(st, a);
  const inB = isResident(st, b);
  const inC = isResident(st, out);
  const inBias = bias !== null && isResident(st, bias);
  const shared = slices > 1 || inA || inB || inC || inBias;
  const s = shared ? st.threaded : st.local;
  const splitN = n > m;
  const length = splitN ? n : m;
  const balance = slices > 1 ? productBalance(st, m, k, n, transA, transB) : undefined;
  const cuts = shareCuts(length, slices, balance?.share() ?? 1, splitN ? nr : mr);
  // Layout of the temporary region: copies of A, B, C and the bias that are not resident,
  // then per slice packed A, packed B and an edge tile.
  const aBytes = inA ? 0 : roundUp(4 * m * k);
  const bBytes = inB ? 0 : roundUp(4 * k * n);
  const cBytes = inC ? 0 : roundUp(4 * m * n);
  const biasBytes = bias === null || inBias ? 0 : roundUp(4 * n);
  const perThread = scratchLayout(config, m, k, n, 0)[3];
  const total = aBytes + bBytes + cBytes + biasBytes + slices * perThread;
  let base: number;
  if (shared && st.heap !== undefined) {
    base = threadedScratch(st, total);
  } else {
    base = dataStart(st);
    reserve(s, base + total);
  }
  const f32 = s.f32;
  const aPtr = inA ? a.byteOffset + 4 * aOffset : base;
  const bPtr = inB ? b.byteOffset + 4 * bOffset : base + aBytes;
  const cPtr = inC ? out.byteOffset + 4 * outOffset : base + aBytes + bBytes;
  const biasPtr = inBias ? bias.byteOffset : base + aBytes + bBytes + cBytes;
  const scratch = base + aBytes + bBytes + cBytes + biasBytes;
  if (!inA) f32.set(slice(a, aOffset, m * k), aPtr >> 2);
  if (!inB) f32.set(slice(b, bOffset, k * n), bPtr >> 2);
  if (bias !== null && !inBias) f32.set(bias, biasPtr >> 2);
  const epilogue = bias !== null || act !== "identity"
    ? EPILOGUE_NAMES.indexOf(epilogueName(act, bias !== null))
    : -1;
  // Each slice applies it to its own block of C while that is in cache.
  const fused = slices > 1 && epilogue >= 0;
  // A(i, p) at aPtr + i·ars + p·acs and B(p, j) at bPtr + p·brs + j·bcs, in bytes.
  const ars = transA ? 4 : 4 * k;
  const acs = transA ? 4 * m : 4;
  const brs = transB ? 4 : 4 * n;
  const bcs = transB ? 4 * k : 4;
  for (let t = slices - 1; t >= 0; t--) {
    const [lo, hi] = [cuts[t], cuts[t + 1]];
    const sm = splitN ? m : hi - lo;
    const sn = splitN ? hi - lo : n;
    const offset = lo;
    gemmArgs(config, sm, k, sn, scratch + t * perThread);
    args[0] = aPtr + (splitN ? 0 : offset * ars);
    args[1] = ars; args[2] = acs;
    args[3] = bPtr + (splitN ? offset * bcs : 0);
    args[4] = brs; args[5] = bcs;
    args[6] = cPtr + 4 * (splitN ? offset : offset * n);
    args[7] = 4 * n;
    if (slices > 1) {
      // The slice's own words 14–15 (its scratch is the thread's): epilogue + 1 and bias.
      args[14] = fused ? epilogue + 1 : 0;
      args[15] = biasPtr + (splitN ? 4 * offset : 0);
      pool!.setSlice(t, args, SliceKind.gemm);
      // Any thread may run any slice, so its scratch is laid out for the largest one.
      const [pa, pb, tmp] = scratchLayout(config, m, k, n, scratch + t * perThread);
      pool!.setScratch(t, pa, pb, tmp);
    } else {
      s.exports.gemm(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
        args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15], args[16]);
    }
  }
  // Every thread, this one included, claims slices until none is left.
  if (slices > 1) {
    if (fused) pool!.setScalars([slope]);
    pool!.run(slices, st.kernels, balance, cuts[1] / length);
  }
  if (epilogue >= 0 && !fused) {
    const run = s.exports[EPILOGUE_NAMES[epilogue]] as SliceKernels["epilogues"][number];
    run(cPtr, biasPtr, m, n, slope, 4 * n);
  }
  if (!inC) out.set(f32.subarray(cPtr >> 2, (cPtr >> 2) + m * n), outOffset);
}
