// A first-fit allocator over a WebAssembly memory, for arrays that live there (no copies per
// kernel) and for kernel scratch. The bookkeeping stays in JavaScript; the memory holds data.

/** The slice of WebAssembly.Memory the heap needs. */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;
/** Every block starts on a cache line, so SIMD loads never split one at a block's start. */
export const BLOCK_ALIGN = 64;

const roundUp = (bytes: number): number => Math.ceil(bytes / BLOCK_ALIGN) * BLOCK_ALIGN;

/**
 * Blocks of [base, memory end): `alloc` takes the first free gap that fits (growing the memory
 * when none does), `free` returns a block and merges it with free neighbours.
 */
export class WasmHeap {
  // Free gaps sorted by address, as parallel arrays (starts[i], sizes[i]).
  private readonly starts: number[] = [];
  private readonly sizes: number[] = [];
  readonly #used = new Map<number, number>();
  /** The end of the highest block handed out so far: the memory above has never been written. */
  private top: number;

  constructor(private readonly memory: GrowableMemory, base: number) {
    const start = roundUp(base);
    this.top = start;
    const end = memory.buffer.byteLength;
    if (end > start) {
      this.starts.push(start);
      this.sizes.push(end - start);
    }
  }

  /** Bytes currently handed out. */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.#used.values()) total += size;
    return total;
  }

  /** The address of a new block of at least `bytes` (64-byte aligned; contents undefined). */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1));
    let i = this.starts.findIndex((_, j) => this.sizes[j] >= size);
    if (i < 0) i = this.grow(size);
    const ptr = this.starts[i];
    if (this.sizes[i] === size) {
      this.starts.splice(i, 1);
      this.sizes.splice(i, 1);
    } else {
      this.starts[i] += size;
      this.sizes[i] -= size;
    }
    this.#used.set(ptr, size);
    this.top = Math.max(this.top, ptr + size);
    return ptr;
  }

  /**
   * As `alloc`, for a block that must read as zeros: `clear(ptr, bytes)` is called for the part
   * that was handed out before, if any. The rest has never been written (a new memory and its
   * growth are zero-filled), and clearing a large shared buffer from JavaScript is slow.
   */
  allocZeroed(bytes: number, clear: (ptr: number, bytes: number) => void): number {
    const written = this.top;
    const ptr = this.alloc(bytes);
    const dirty = Math.min(ptr + bytes, written) - ptr;
    if (dirty > 0) clear(ptr, dirty);
    return ptr;
  }

  /** Returns a block from `alloc`; freeing anything else throws. */
  free(ptr: number): void {
    const size = this.#used.get(ptr);
    if (size === undefined) throw new Error(`WasmHeap.free: ${ptr} is not an allocated block`);
    this.#used.delete(ptr);
    let i = 0;
    while (i < this.starts.length && this.starts[i] < ptr) i++;
    this.starts.splice(i, 0, ptr);
    this.sizes.splice(i, 0, size);
    // Merge with the next gap, then with the previous one.
    if (i + 1 < this.starts.length && ptr + size === this.starts[i + 1]) {
      this.sizes[i] += this.sizes[i + 1];
      this.starts.splice(i + 1, 1);
      this.sizes.splice(i + 1, 1);
    }
    if (i > 0 && this.starts[i - 1] + this.sizes[i - 1] === ptr) {
      this.sizes[i - 1] += this.sizes[i];
      this.starts.splice(i, 1);
      this.sizes.splice(i, 1);
    }
  }

  /** Grows the memory so a gap of `size` exists at its end; returns that gap's index. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.starts.length - 1;
    const tail = last >= 0 && this.starts[last] + this.sizes[last] === end ? this.sizes[last] : 0;
    const pages = Math.ceil((size - tail) / PAGE);
    this.memory.grow(pages); // throws a RangeError past the memory's maximum
    if (tail > 0) {
      this.sizes[last] += pages * PAGE;
      return last;
    }
    this.starts.push(end);
    this.sizes.push(pages * PAGE);
    return this.starts.length - 1;
  }
}
