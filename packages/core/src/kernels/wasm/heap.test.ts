// The wasm heap's first-fit allocator: alignment, reuse, merging, growth and misuse.
import { describe, expect, it } from "vitest";
import { BLOCK_ALIGN, type GrowableMemory, WasmHeap } from "./heap.js";

/** A stand-in for WebAssembly.Memory: grows by 64 KiB pages and counts the growths. */
function fakeMemory(pages: number) {
  const memory = {
    buffer: new ArrayBuffer(pages * 65536),
    grows: [] as number[],
    grow(n: number): number {
      const old = this.buffer.byteLength / 65536;
      if (old + n > 4) throw new RangeError("Memory.grow(): Maximum memory size exceeded");
      this.buffer = new ArrayBuffer((old + n) * 65536);
      this.grows.push(n);
      return old;
    },
  };
  return memory satisfies GrowableMemory;
}

describe("WasmHeap", () => {
  it("hands out aligned, disjoint blocks after the base", () => {
    const heap = new WasmHeap(fakeMemory(1), 100);
    const a = heap.alloc(10);
    const b = heap.alloc(65);
    const c = heap.alloc(1);
    expect([a, b, c]).toEqual([128, 192, 320]);
    for (const p of [a, b, c]) expect(p % BLOCK_ALIGN).toBe(0);
    expect(heap.allocatedBytes).toBe(64 + 128 + 64);
  });

  it("reuses freed blocks first-fit and merges neighbours", () => {
    const heap = new WasmHeap(fakeMemory(1), 0);
    const [a, b, c] = [heap.alloc(64), heap.alloc(64), heap.alloc(64)];
    heap.free(b);
    expect(heap.alloc(64)).toBe(b); // the gap is reused
    heap.free(a);
    heap.free(b); // merges with a's gap
    expect(heap.alloc(128)).toBe(a);
    heap.free(c);
    expect(heap.alloc(100)).toBe(c);
    expect(heap.allocatedBytes).toBe(128 + 128);
  });

  it("grows the memory only when no gap fits, extending a free tail", () => {
    const memory = fakeMemory(1);
    const heap = new WasmHeap(memory, 0);
    const small = heap.alloc(60000); // leaves a 5,504-byte tail
    const big = heap.alloc(70000);
    expect(big).toBe(60032); // the tail was extended, not skipped
    expect(memory.grows).toEqual([1]);
    heap.free(small);
    expect(heap.alloc(1000)).toBe(0);
    expect(memory.grows).toEqual([1]);
  });

  it("throws on a bad free and when the memory cannot grow", () => {
    const heap = new WasmHeap(fakeMemory(1), 0);
    expect(() => heap.free(64)).toThrow(/WasmHeap.free: 64 is not an allocated block/);
    const a = heap.alloc(8);
    heap.free(a);
    expect(() => heap.free(a)).toThrow(/not an allocated block/);
    expect(() => heap.alloc(5 * 65536)).toThrow(/Maximum memory size exceeded/);
    expect(heap.alloc(3 * 65536)).toBe(0); // still usable after the failed growth
  });

  it("allocZeroed clears only what was handed out before", () => {
    const heap = new WasmHeap(fakeMemory(2), 64);
    const cleared: Array<[number, number]> = [];
    const clear = (ptr: number, bytes: number) => { cleared.push([ptr, bytes]); };
    const a = heap.allocZeroed(100, clear); // fresh memory: nothing to clear
    const b = heap.allocZeroed(200, clear);
    expect(cleared).toEqual([]);
    heap.free(a);
    heap.free(b);
    // [64, 448) was handed out; a block of 1000 bytes there is dirty for its first 384.
    expect(heap.allocZeroed(1000, clear)).toBe(64);
    expect(cleared).toEqual([[64, 384]]);
    heap.allocZeroed(70000, clear); // grows: fresh again
    expect(cleared).toHaveLength(1);
    heap.free(64);
    expect(heap.allocZeroed(10, clear)).toBe(64);
    expect(cleared).toEqual([[64, 384], [64, 10]]);
  });
});
