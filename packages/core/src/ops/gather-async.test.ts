// gatherAsync: the same rows as gather, on a helper thread or at once, and its input checks.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { setNumThreads } from "../kernels/threads.js";
import { releaseStorage, residentStorage } from "../kernels/wasm-backend.js";
import { wasmThreadsAvailable } from "../kernels/wasm/index.js";
import { Rng } from "../random.js";
import { withGradMode } from "../tape.js";
import { Tensor } from "../tensor.js";
import { gather, gatherAsync } from "./indexing.js";
import { matmul } from "./matmul.js";

/** A [rows, cols] float32 tensor of distinct values, in the kernels' memory or not. */
function table(rows: number, cols: number, resident: boolean): Tensor {
  const data = resident ? residentStorage("float32", rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = i + 0.5;
  return new Tensor(data, [rows, cols]);
}

const emptyLike = (x: Tensor, rows: number, resident: boolean): Tensor =>
  table(rows, x.shape[1], resident);

/** Elements where a and b differ (toEqual on 100k-element arrays takes seconds). */
function differences(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let count = 0;
  for (let i = 0; i < a.size; i++) if (!Object.is(a.data[i], b.data[i])) count++;
  return count;
}

describe("gatherAsync", () => {
  afterAll(() => setNumThreads(1));
  const threadCounts = wasmThreadsAvailable() ? [1, 2, 3] : [1];

  it("gives gather's rows, on every thread count, resident or not", () => {
    for (const threads of threadCounts) {
      setNumThreads(threads);
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 90 }), fc.boolean(), fc.integer({ min: 0, max: 1000 }),
        (rows, cols, count, resident, seed) => {
          const x = table(rows, cols, resident);
          const index = Int32Array.from({ length: count }, (_, i) => (seed + 7 * i) % rows);
          const out = emptyLike(x, count, resident);
          const pending = gatherAsync(x, index, out);
          expect(pending.wait()).toBe(out);
          expect(differences(out, gather(x, index))).toBe(0);
        },
      ), { numRuns: 40 });
    }
  });

  it("keeps its rows while products run, and finishes the last one before a new one", () => {
    for (const threads of threadCounts) {
      setNumThreads(threads);
      const x = table(1000, 784, true);
      const rng = new Rng(threads);
      const order = rng.shuffle(Int32Array.from({ length: 1000 }, (_, i) => i));
      const a = tensor(Array.from({ length: 128 * 784 }, (_, i) => (i % 13) - 6), [128, 784]);
      const w = tensor(Array.from({ length: 784 * 128 }, (_, i) => (i % 7) - 3), [784, 128]);
      const expected = matmul(a, w);
      const outs = [emptyLike(x, 128, true), emptyLike(x, 128, true)];
      let pending = gatherAsync(x, order.subarray(0, 128), outs[0]);
      for (let step = 1; step < 7; step++) {
        // The product runs on the pool while the gather waits for an idle helper.
        expect(differences(matmul(a, w), expected)).toBe(0);
        const x0 = pending.wait();
        const index = order.subarray(128 * (step - 1), 128 * step);
        expect(differences(x0, gather(x, index))).toBe(0);
        pending = gatherAsync(x, order.subarray(128 * step, 128 * (step + 1)), outs[step % 2]);
      }
      // Started again before waiting: the first is finished, and both are right.
      const first = gatherAsync(x, order.subarray(0, 100), emptyLike(x, 100, true));
      const second = gatherAsync(x, order.subarray(100, 300), emptyLike(x, 200, true));
      expect(differences(second.wait(), gather(x, order.subarray(100, 300)))).toBe(0);
      expect(differences(first.wait(), gather(x, order.subarray(0, 100)))).toBe(0);
      pending.wait();
    }
  });

  it("survives thousands of back-to-back gathers of changing sizes (racing the posts)", () => {
    for (const threads of threadCounts) {
      setNumThreads(threads);
      const x = table(500, 24, true);
      const outs = [7, 128, 96, 200, 1].map((rows) => emptyLike(x, rows, true));
      let bad = 0;
      for (let job = 0; job < 3000; job++) {
        const out = outs[job % outs.length];
        const rows = out.shape[0];
        const index = Int32Array.from({ length: rows }, (_, i) => (job * 31 + i * 7) % 500);
        const got = gatherAsync(x, index, out).wait();
        for (let r = 0; r < rows; r++) {
          // Row r holds x's row index[r]: (index[r]·24 + j) + 0.5 in column j.
          const [first, last] = [got.data[r * 24], got.data[r * 24 + 23]];
          if (first !== index[r] * 24 + 0.5 || last !== index[r] * 24 + 23.5) bad++;
        }
      }
      expect(bad).toBe(0);
    }
  });

  it("gives resident storage back at once with releaseStorage (plain arrays are ignored)", () => {
    const a = residentStorage("float32", 1000);
    const offset = a.byteOffset;
    releaseStorage(a);
    const b = residentStorage("float32", 1000); // first fit: a's block again, zeroed
    expect(b.byteOffset).toBe(offset);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(() => releaseStorage(new Float32Array(4))).not.toThrow();
  });

  it("rejects what gather rejects, naming gatherAsync", () => {
    const x = table(5, 3, false);
    expect(() => gatherAsync(x, [0, 5], emptyLike(x, 2, false)))
      .toThrow("gatherAsync: index 5 at position 1 is out of range [0, 5)");
    expect(() => gatherAsync(x, [0, 1], emptyLike(x, 3, false)))
      .toThrow("gatherAsync: out must be float32 [2, 3]; got float32 [3, 3]");
    expect(() => gatherAsync(x, [0], x)).toThrow(/out must be float32 \[1, 3\]/);
    const p = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    withGradMode(true, () => {
      expect(() => gatherAsync(p, [0], tensor([[0, 0]])))
        .toThrow("gatherAsync: out cannot be used while recording gradients of x; use noGrad");
    });
  });
});
