// Arrays that live in the shared WebAssembly memory, which the kernels read and write in place:
// made from the heap, given back when collected or released, and recognised by the runners.
import type { WasmHeap } from "./heap.js";
import { wasmSimdAvailable } from "./runtime.js";
import { type State, currentState, load, refresh } from "./state.js";

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
  if (dirty > 0) st.threaded.exports.zero(ptr, dirty * bytes);
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
  const st = currentState();
  return st !== undefined && wholeResident(st, x);
}

/** Whether every array is a whole block of this state's heap (padded to 16 bytes). */
export function wholeResident(st: State, ...arrays: Array<Float32Array | Float64Array>): boolean {
  return arrays.every((x) => {
    const block = residentBlocks.get(x);
    return block !== undefined && block.heap === st.heap;
  });
}

/**
 * Zeroes x with memory.fill when it is a whole resident array of the current memory (filling a
 * shared buffer from JavaScript is about 10× slower); false (nothing done) otherwise.
 */
export function zeroResident(x: Float32Array | Float64Array): boolean {
  const st = currentState();
  if (st === undefined || !wholeResident(st, x)) return false;
  st.threaded.exports.zero(x.byteOffset, x.byteLength);
  return true;
}
