// Dataset tests: pixel scaling, splits, --limit, seeded shuffling and gathered minibatches.
import { Rng, setNumThreads } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  batchCount, batches, labelFrequencies, loadMnist, splitMnist, toImageTensor,
} from "./dataset.js";
import type { MnistFiles, MnistSplit } from "./files.js";

// A split of `count` 2×2 images whose pixels encode the sample index, labels index mod 10.
function fakeSplit(count: number): MnistSplit {
  const images = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) images.fill(i % 256, i * 4, i * 4 + 4);
  images[3] = 255;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels, count, rows: 2, cols: 2 };
}

const files: MnistFiles = { train: fakeSplit(120), test: fakeSplit(30) };

describe("toImageTensor", () => {
  it("scales pixels to [0, 1] as a [n, rows·cols] float32 tensor", () => {
    const x = toImageTensor(files.train);
    expect(x.shape).toEqual([120, 4]);
    expect(x.dtype).toBe("float32");
    expect(x.data[3]).toBe(1);
    expect(x.data[4]).toBeCloseTo(1 / 255, 7);
  });
});

describe("splitMnist", () => {
  it("holds out the last twelfth for validation by default, sharing the images tensor", () => {
    const data = splitMnist(files);
    expect(data.train.indices.length).toBe(110);
    expect(Array.from(data.validation.indices))
      .toEqual(Array.from({ length: 10 }, (_, i) => 110 + i));
    expect(data.validation.images).toBe(data.train.images);
    expect(data.test.indices.length).toBe(30);
  });

  it("takes validation from the first --limit samples", () => {
    const data = splitMnist(files, { limit: 50, validation: 5 });
    expect(data.train.images.shape).toEqual([50, 4]);
    expect(data.train.indices.length).toBe(45);
    expect(data.validation.indices[4]).toBe(49);
  });

  it("rejects bad counts with the allowed range", () => {
    expect(() => splitMnist(files, { limit: 121 }))
      .toThrow(/limit must be an integer in \[0, 120\]; got 121/);
    expect(() => splitMnist(files, { limit: 10, validation: 10 }))
      .toThrow(/validation .* \[0, 9\]/);
  });

  it("counts label frequencies over the split", () => {
    const freq = labelFrequencies(splitMnist(files, { validation: 20 }).train);
    expect(freq.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(freq[0]).toBeCloseTo(0.1, 12);
  });
});

describe("batches", () => {
  const data = splitMnist(files, { validation: 20 });

  it("visits every training sample exactly once per epoch, rows matching labels", () => {
    const seen: number[] = [];
    for (const { x, labels } of batches(data.train, 32, new Rng(1))) {
      expect(x.shape[1]).toBe(4);
      for (let r = 0; r < labels.length; r++) {
        const index = Math.round(x.data[r * 4] * 255);
        expect(labels[r]).toBe(index % 10);
        seen.push(index);
      }
    }
    expect(seen.length).toBe(100);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 100 }, (_, i) => i)); // shuffled
  });

  it("yields ceil(n / batchSize) batches, the last one smaller", () => {
    const sizes = [...batches(data.train, 32)].map((b) => b.labels.length);
    expect(sizes).toEqual([32, 32, 32, 4]);
    expect(batchCount(data.train, 32)).toBe(4);
  });

  it("shuffles the same way for the same seed, differently per epoch", () => {
    const order = (rng: Rng) => [...batches(data.train, 100, rng)][0].labels.join();
    const a = new Rng(7);
    const b = new Rng(7);
    const first = order(a);
    expect(order(b)).toBe(first);
    expect(order(a)).not.toBe(first);
  });

  it("keeps the split's order without an rng and never copies the split's images", () => {
    const [batch] = [...batches(data.validation, 20)];
    expect(Array.from(batch.labels)).toEqual(Array.from({ length: 20 }, (_, i) => (100 + i) % 10));
    expect(data.validation.images.data.length).toBe(120 * 4);
  });

  it("with reuse, refills two tensors per batch size in turn with the same rows", () => {
    const fresh = [...batches(data.train, 32, new Rng(3))].map((b) => Array.from(b.x.data));
    // On two threads a helper gathers the next batch while this one is in use.
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const split = splitMnist(files, { validation: 20 }).train; // in the new threads' memory
      const tensors: unknown[] = [];
      let i = 0;
      for (const { x } of batches(split, 32, new Rng(3), { reuse: true })) {
        expect(Array.from(x.data)).toEqual(fresh[i++]);
        tensors.push(x);
      }
      expect(i).toBe(4);
      expect(tensors[1]).not.toBe(tensors[0]);
      expect(tensors[2]).toBe(tensors[0]);
      expect(tensors[3]).not.toBe(tensors[1]); // the last batch has 4 rows
      // Abandoned after one batch (a gather pending), then a full pass again.
      for (const { x } of batches(split, 32, new Rng(3), { reuse: true })) {
        expect(Array.from(x.data)).toEqual(fresh[0]);
        break;
      }
      let j = 0;
      for (const { x } of batches(split, 32, new Rng(3), { reuse: true })) {
        expect(Array.from(x.data)).toEqual(fresh[j++]);
      }
      expect(j).toBe(4);
      setNumThreads(1);
    }
  });

  it("rejects a bad batch size", () => {
    expect(() => [...batches(data.train, 0)])
      .toThrow(/batchSize must be a positive integer; got 0/);
  });
});

describe("options", () => {
  const js = <T>(value: unknown) => value as T;

  it("splitMnist, loadMnist and batches refuse unknown keys", async () => {
    expect(() => splitMnist(files, js({ limit: 50, validationSize: 5 }))).toThrow(
      'splitMnist: unknown option "validationSize"; did you mean "validation"? ' +
        "Valid options: dataDir, limit, validation, maxBytes",
    );
    await expect(loadMnist(js({ data_dir: "/nowhere" }))).rejects.toThrow(
      'loadMnist: unknown option "data_dir"; did you mean "dataDir"? ' +
        "Valid options: dataDir, limit, validation, maxBytes",
    );
    const data = splitMnist(files, { limit: 50, validation: 5 });
    expect(() => batches(data.train, 8, undefined, js({ reused: true })))
      .toThrow('batches: unknown option "reused"; did you mean "reuse"? Valid options: reuse');
  });

  it("batches checks its arguments when called, not at the first batch", () => {
    const data = splitMnist(files, { limit: 50, validation: 5 });
    expect(() => batches(data.train, 0)).toThrow(/batchSize must be a positive integer; got 0/);
  });
});
