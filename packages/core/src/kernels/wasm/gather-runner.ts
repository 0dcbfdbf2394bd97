// Row gathers out of resident arrays with memory.copy: split over the threads, or started on a
// helper thread in the background while the caller goes on.
import { wasmSimdAvailable } from "./runtime.js";
import { isResident, load, roundUp, threadedScratch } from "./state.js";

/** The most bytes of rows gathered into the scratch at a time (see wasmGatherRows). */
const CHUNK_BYTES = 1 << 20;

/**
 * out row r = x row indices[r] (rows of rowSize floats) with memory.copy when x lives in the
 * shared memory: in place when out does too, split over the threads for long batches; else
 * into the scratch and copied out at once. Returns false (nothing done) when x is elsewhere.
 * The indices are checked by the caller.
 */
export function wasmGatherRows(
  x: Float32Array, rowSize: number, indices: ArrayLike<number>, out: Float32Array,
): boolean {
  if (!wasmSimdAvailable()) return false;
  const st = load();
  if (!isResident(st, x)) return false;
  const count = indices.length;
  if (!isResident(st, out)) {
    // Into a plain array (a new minibatch): rows gathered in the shared memory, then copied
    // out at once, instead of a copy per row out of shared memory; in chunks of at most
    // CHUNK_BYTES, so gathering a whole data set keeps the scratch small.
    const chunk = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(4 * rowSize, 1)));
    const index = threadedScratch(st, roundUp(4 * chunk) + 4 * Math.min(chunk, count) * rowSize);
    const rowsAt = index + roundUp(4 * chunk);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const buffer = st.threaded.memory.buffer;
      const rows = new Int32Array(buffer, index, n);
      for (let r = 0; r < n; r++) rows[r] = indices[start + r];
      st.threaded.exports.gatherRows(x.byteOffset, 4 * rowSize, index, n, rowsAt);
      out.set(new Float32Array(buffer, rowsAt, n * rowSize), start * rowSize);
    }
    return true;
  }
  const index = threadedScratch(st, 4 * count);
  new Int32Array(st.threaded.memory.buffer, index, count).set(indices);
  const rowBytes = 4 * rowSize;
  const at = (start: number, n: number) =>
    [x.byteOffset, rowBytes, index + 4 * start, n, out.byteOffset + start * rowBytes];
  if (!st.pool?.runs.elementwise(st, count * rowSize, count, 1, "gatherRows", [], at)) {
    const [src, bytes, idx, n, dst] = at(0, count);
    st.threaded.exports.gatherRows(src, bytes, idx, n, dst);
  }
  return true;
}

/**
 * Starts `wasmGatherRows` on a helper thread, which runs it when idle, and returns a function
 * that waits for it (running it here if no helper has started). Null (nothing started) without
 * helper threads, while they are parked (see ThreadChoice), or when x or out is not in the
 * shared memory. At most one is in flight: a new
 * one first waits for the last.
 */
export function wasmStartGatherRows(
  x: Float32Array, rowSize: number, indices: ArrayLike<number>, out: Float32Array,
): (() => void) | null {
  if (!wasmSimdAvailable()) return null;
  const st = load();
  return st.pool?.runs.startGather(st, x, rowSize, indices, out) ?? null;
}
