// Minibatches: every row once per epoch, seeded shuffles, reused buffers filled on a helper
// thread; batch targets as one-hot rows, gathered values and labels.
import { Rng, Tensor, setNumThreads, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { BatchTargets, batchCount, batches } from "./batches.js";
import { prepareData } from "./data.js";
import { smallNet } from "../test/fit-fixtures.js";

// 120 rows of 4 features; each row's values encode its index (index / 255).
function rows(count: number): Tensor {
  const data = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) data.fill(i / 255, i * 4, i * 4 + 4);
  return new Tensor(data, [count, 4]);
}
const x = rows(120);
const indices = Int32Array.from({ length: 100 }, (_, i) => i);

describe("batches", () => {
  it("visits every row exactly once per epoch, shuffled, x matching rows", () => {
    const seen: number[] = [];
    for (const batch of batches(x, indices, 32, { rng: new Rng(1) })) {
      expect(batch.x.shape).toEqual([batch.rows.length, 4]);
      batch.rows.forEach((r, i) => expect(Math.round(batch.x.data[i * 4] * 255)).toBe(r));
      seen.push(...batch.rows);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from(indices));
    expect(seen).not.toEqual(Array.from(indices));
  });

  it("yields ceil(n / batchSize) batches, the last smaller; keeps the order without rng", () => {
    expect([...batches(x, indices, 32)].map((b) => b.rows.length)).toEqual([32, 32, 32, 4]);
    expect(batchCount(100, 32)).toBe(4);
    const [first] = [...batches(x, indices.subarray(90), 20)];
    expect(Array.from(first.rows)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });

  it("shuffles the same way for the same seed (Fisher–Yates on rng.int), anew each epoch", () => {
    const order = (rng: Rng) => [...batches(x, indices, 100, { rng })][0].rows.join();
    const [a, b] = [new Rng(7), new Rng(7)];
    const first = order(a);
    expect(order(b)).toBe(first);
    expect(order(a)).not.toBe(first);
    expect(first).toBe(new Rng(7).shuffle(indices.slice()).join());
  });

  it("with reuse, refills two tensors per batch size in turn with the same rows", () => {
    const fresh = [...batches(x, indices, 32, { rng: new Rng(3) })]
      .map((b) => Array.from(b.x.data));
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const resident = rows(120); // in the new threads' memory
      const seen: Tensor[] = [];
      let i = 0;
      for (const b of batches(resident, indices, 32, { rng: new Rng(3), reuse: true })) {
        expect(Array.from(b.x.data)).toEqual(fresh[i++]);
        seen.push(b.x);
      }
      expect(i).toBe(4);
      expect(seen[1]).not.toBe(seen[0]);
      expect(seen[2]).toBe(seen[0]);
      // Abandoned after one batch (a gather pending), then a full pass again.
      for (const b of batches(resident, indices, 32, { rng: new Rng(3), reuse: true })) {
        expect(Array.from(b.x.data)).toEqual(fresh[0]);
        break;
      }
      let j = 0;
      for (const b of batches(resident, indices, 32, { rng: new Rng(3), reuse: true })) {
        expect(Array.from(b.x.data)).toEqual(fresh[j++]);
      }
      expect(j).toBe(4);
      setNumThreads(1);
    }
  });

  it("rejects a bad batch size", () => {
    expect(() => [...batches(x, indices, 0)])
      .toThrow("batches: batchSize must be a positive integer; got 0");
  });
});

describe("BatchTargets", () => {
  it("writes one-hot rows from labels into one buffer per batch size", () => {
    const data = prepareData(smallNet(3, "sigmoid"), { x: [[0, 0], [1, 1], [2, 2]], y: [2, 0, 1] });
    const targets = new BatchTargets(data);
    const a = targets.take(Int32Array.of(0, 2));
    expect(a.target.toArray()).toEqual([[0, 0, 1], [0, 1, 0]]);
    expect(Array.from(a.labels ?? [])).toEqual([2, 1]);
    const b = targets.take(Int32Array.of(1, 1));
    expect(b.target).toBe(a.target); // reused: the next batch of 2 overwrites it
    expect(b.target.toArray()).toEqual([[1, 0, 0], [1, 0, 0]]);
    targets.release();
  });

  it("gathers value rows, with labels for one-hot and binary targets only", () => {
    const x = [[0, 0], [1, 1], [2, 2]];
    const oneHot = new BatchTargets(prepareData(smallNet(2, "sigmoid"),
      { x, y: tensor([[0, 1], [1, 0], [0, 1]]) }));
    expect(Array.from(oneHot.take(Int32Array.of(2, 1)).labels ?? [])).toEqual([1, 0]);
    const binary = new BatchTargets(prepareData(smallNet(1, "sigmoid"), { x, y: [0.2, 1, 0.6] }));
    const taken = binary.take(Int32Array.of(0, 2));
    expect(Array.from(taken.target.data)).toEqual([Math.fround(0.2), Math.fround(0.6)]);
    expect(Array.from(taken.labels ?? [])).toEqual([0, 1]);
    const regression = new BatchTargets(prepareData(smallNet(1, "identity"), { x, y: [5, 6, 7] }));
    expect(regression.take(Int32Array.of(1)).labels).toBeNull();
  });
});
