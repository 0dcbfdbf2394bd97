// Copies between JavaScript arrays and WebAssembly memory, for operands that are not resident.
import { type Space, type State, dataStart, reserve, roundUp } from "./state.js";

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
