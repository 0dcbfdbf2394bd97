// BackwardBuffers: backward passes that reuse the float32 storage of the pass before last, in
// the kernels' own memory, so an eager training step allocates and copies no gradients.
import { peekGrad } from "./backward-pool.js";
import { type DType, type FloatArray, newArray, withAllocator } from "./dtype.js";
import { getBackend } from "./kernels/backend.js";
import type { Backend } from "./kernels/contract.js";
import { isReleased } from "./kernels/released.js";
import { gradLeaves } from "./tape.js";
import { Tensor } from "./tensor.js";
import { assertNotTracing } from "./tracing.js";

/**
 * Runs backward passes whose new tensors (the cotangents, and the gradients put in `.grad`)
 * take the float32 storage of the pass before last, in the backend's own memory (WebAssembly
 * memory), where the kernels write and read them in place: no allocation, copy-out or garbage
 * per step, much as in a compiled step. So a call overwrites the tensors the call before the
 * last one made: use a gradient before then, or `clone()` it. Gradients that accumulate over
 * calls (no zeroGrad between them) stay right, since each call reads only the last one's, and
 * a block that a parameter's `.grad` still holds (a parameter no pass reached since) is never
 * handed out again.
 * fit's eager steps run their backward passes here; the storage kept is at most three passes'
 * worth.
 * @example
 * const buffers = new BackwardBuffers();
 * for (const [x, y] of batches) {
 *   optimizer.zeroGrad();
 *   buffers.backward(lossOf(x, y)); // may overwrite the gradients of two steps ago
 *   optimizer.step();
 * }
 */
export class BackwardBuffers {
  /** What the last pass and the one before it were handed; blocks free now, by length. */
  #last: Float32Array[] = [];
  #beforeLast: Float32Array[] = [];
  #free = new Map<number, Float32Array[]>();
  #freeBytes = 0;
  /** The most bytes one pass was handed: free blocks past that are let go. */
  #largestPass = 0;
  /** Leaves of the last pass's graph that take gradients, and of the pass before it. */
  #lastLeaves: Tensor[] = [];
  #beforeLastLeaves: Tensor[] = [];

  /** `loss.backward()` (a scalar loss), its tensors' storage taken from these buffers. */
  backward(loss: Tensor): void {
    if (!(loss instanceof Tensor)) {
      throw new TypeError("BackwardBuffers.backward: loss must be a Tensor");
    }
    assertNotTracing("BackwardBuffers.backward");
    // A leaf not reached since (gradients accumulating, no zeroGrad) still holds its block in
    // `.grad`: that block is the user's now, never handed out again.
    // Peeked (see peekGrad): reading .grad here would hand a plain pass's gradient out.
    const held = new Set(this.#beforeLastLeaves.map((leaf) => peekGrad(leaf)?.data));
    for (const data of this.#beforeLast) if (!held.has(data)) this.#makeFree(data);
    this.#beforeLast = this.#last;
    this.#beforeLastLeaves = this.#lastLeaves;
    this.#last = [];
    this.#lastLeaves = gradLeaves(loss);
    const backend = getBackend();
    try {
      withAllocator((dtype, size) => this.#allocate(backend, dtype, size), () => loss.backward());
    } finally {
      let bytes = 0;
      for (const data of this.#last) bytes += data.byteLength;
      this.#largestPass = Math.max(this.#largestPass, bytes);
      // Blocks of other shapes (a last, smaller batch) wait for their next pass; but more free
      // blocks than a pass takes (shapes that keep changing) are dropped, for the garbage
      // collector: what is kept stays within three passes' worth.
      if (this.#freeBytes > this.#largestPass) {
        this.#free.clear();
        this.#freeBytes = 0;
      }
    }
  }

  #makeFree(data: Float32Array): void {
    const list = this.#free.get(data.length);
    if (list === undefined) this.#free.set(data.length, [data]);
    else list.push(data);
    this.#freeBytes += data.byteLength;
  }

  #allocate(backend: Backend, dtype: DType, size: number): FloatArray {
    if (dtype !== "float32") return newArray(dtype, size);
    const data = this.#reuse(backend, size) ?? backend.residentStorage(dtype, size);
    if (data === null) return newArray(dtype, size); // a backend without memory of its own
    this.#last.push(data as Float32Array);
    return data;
  }

  /** A free block of `size` elements, zeroed, that the kernels still use in place; or null. */
  #reuse(backend: Backend, size: number): FloatArray | null {
    const list = this.#free.get(size);
    while (list !== undefined && list.length > 0) {
      const data = list.pop()!;
      this.#freeBytes -= data.byteLength;
      // Released by the user (its memory may be another array's now), or of a memory the
      // kernels left (setNumThreads): never handed out again.
      if (isReleased(data) || !backend.isResident(data)) continue;
      backend.fill({ out: data, value: 0 });
      return data;
    }
    return null;
  }
}
