// Copies between JavaScript arrays and WebAssembly memory, for operands that are not resident.
import { wholeResident } from "./resident.js";
import {
  type Space, type State, dataStart, reserve, roundUp, threadedScratch,
} from "./state.js";

/**
 * Copies `inputs` one after another into local memory, runs `kernel` on their pointers (the
 * last pointer is the free space after them, `extraBytes` long) and copies `out.length` floats
 * from the pointer it returns into out: the path for operands outside the shared memory.
 */
export function throughLocal(
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

/** x[offset, offset + size), without a new view when that is all of x. */
export function slice(x: Float32Array, offset: number, size: number): Float32Array {
  return offset === 0 && x.length === size ? x : x.subarray(offset, offset + size);
}

/**
 * Addresses of `arrays` in the shared memory, for kernels that run there (in place, or split
 * over the threads): a whole resident array's own, or that of a copy in the threaded scratch
 * (one copy each, float32 or float64 alike). Null where there is no shared heap. The copies
 * are inputs only: a kernel's output must be resident itself.
 */
export function stageShared(
  st: State, arrays: ReadonlyArray<Float32Array | Float64Array>,
): number[] | null {
  if (st.heap === undefined) return null;
  let bytes = 0;
  for (const x of arrays) if (!wholeResident(st, x)) bytes += roundUp(x.byteLength);
  const base = bytes > 0 ? threadedScratch(st, bytes) : 0;
  const buffer = st.threaded.memory.buffer;
  let at = base;
  return arrays.map((x) => {
    if (wholeResident(st, x)) return x.byteOffset;
    const ptr = at;
    at += roundUp(x.byteLength);
    const view = x instanceof Float64Array
      ? new Float64Array(buffer, ptr, x.length)
      : new Float32Array(buffer, ptr, x.length);
    view.set(x);
    return ptr;
  });
}
