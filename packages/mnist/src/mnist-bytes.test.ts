// Tests for mnistFromBytes (MNIST from the files' bytes, as a page gets them) and for the
// browser entry: it reaches no Node built-in.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { MNIST_FILES, defaultDataDir, readMnistFiles } from "./files.js";
import { type IdxArray, encodeIdx } from "./idx.js";
import { encodeIdxGzip } from "./idx-gzip.js";
import { type MnistBytes, mnistFromBytes } from "./mnist-bytes.js";

const images = (count: number, rows = 2, cols = 3): IdxArray => ({
  dtype: "uint8", shape: [count, rows, cols],
  data: Uint8Array.from({ length: count * rows * cols }, (_, i) => (i * 37) % 256),
});
const labels = (values: number[]): IdxArray => ({
  dtype: "uint8", shape: [values.length], data: Uint8Array.from(values),
});

function files(overrides: Partial<Record<keyof MnistBytes, IdxArray>> = {}): MnistBytes {
  const arrays = {
    trainImages: images(3), trainLabels: labels([5, 0, 9]),
    testImages: images(2), testLabels: labels([7, 2]),
    ...overrides,
  };
  return {
    trainImages: encodeIdx(arrays.trainImages), trainLabels: encodeIdx(arrays.trainLabels),
    testImages: encodeIdx(arrays.testImages), testLabels: encodeIdx(arrays.testLabels),
  };
}

describe("mnistFromBytes", () => {
  it("gives the real files the same splits as readMnistFiles", async () => {
    const dir = defaultDataDir();
    const read = (name: string) => readFile(join(dir, name)).then((b) => new Uint8Array(b));
    const bytes = {
      trainImages: await read(MNIST_FILES.trainImages),
      trainLabels: await read(MNIST_FILES.trainLabels),
      testImages: await read(MNIST_FILES.testImages),
      testLabels: await read(MNIST_FILES.testLabels),
    };
    const fromBytes = mnistFromBytes(bytes);
    const fromDisk = await readMnistFiles(dir);
    expect([fromBytes.train.count, fromBytes.test.count]).toEqual([60000, 10000]);
    expect([fromBytes.test.rows, fromBytes.test.cols]).toEqual([28, 28]);
    expect(Array.from(fromBytes.test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(Buffer.compare(fromBytes.train.images, fromDisk.train.images)).toBe(0);
    expect(Buffer.compare(fromBytes.test.labels, fromDisk.test.labels)).toBe(0);
  }, 30_000);

  it("packs small files into splits", () => {
    const { train, test } = mnistFromBytes(files());
    expect([train.count, train.rows, train.cols, test.count]).toEqual([3, 2, 3, 2]);
    expect(Array.from(train.labels)).toEqual([5, 0, 9]);
    expect(Array.from(test.images.subarray(0, 3))).toEqual([0, 37, 74]);
  });

  it("names the file and the problem", () => {
    expect(() => mnistFromBytes(files({ trainLabels: labels([5, 0, 10]) }))).toThrow(
      "mnistFromBytes: train-labels-idx1-ubyte: labels must be in 0..9; got 10 at index 2");
    expect(() => mnistFromBytes(files({ testLabels: labels([7]) }))).toThrow("mnistFromBytes: " +
      "t10k-images-idx3-ubyte has 2 images but t10k-labels-idx1-ubyte has 1 labels");
    expect(() => mnistFromBytes(files({ testImages: images(2, 3, 3) }))).toThrow(
      /train-images-idx3-ubyte holds 2×3 images but t10k-images-idx3-ubyte holds 3×3/);
    expect(() => mnistFromBytes(files({ trainImages: labels([1, 2, 3]) }))).toThrow(
      /train-images-idx3-ubyte: expected rank-3 uint8 images; got rank 1 uint8 \[3\]/);
  });

  it("refuses gzipped bytes with a way to decompress them in a page", () => {
    const bytes = { ...files(), testLabels: encodeIdxGzip(labels([7, 2])) };
    expect(() => mnistFromBytes(bytes)).toThrow(
      /testLabels \(t10k-labels-idx1-ubyte\) is gzipped; .*DecompressionStream\("gzip"\)/);
  });

  it("refuses what is not a Uint8Array and unknown keys", () => {
    const missing = { ...files(), testImages: undefined } as unknown as MnistBytes;
    expect(() => mnistFromBytes(missing)).toThrow(
      "mnistFromBytes: testImages (t10k-images-idx3-ubyte) must be a Uint8Array; got nothing");
    const buffer = { ...files(), trainLabels: new ArrayBuffer(8) } as unknown as MnistBytes;
    expect(() => mnistFromBytes(buffer)).toThrow(/trainLabels .* got \[object ArrayBuffer\]/);
    const typo = { ...files(), testLabel: new Uint8Array(1) } as unknown as MnistBytes;
    expect(() => mnistFromBytes(typo)).toThrow(
      /mnistFromBytes: unknown option "testLabel"; did you mean "testLabels"\?/);
  });
});

describe("the browser entry", () => {
  it("reaches no Node built-in through its own files", async () => {
    const src = import.meta.dirname;
    const seen = new Set<string>();
    const imports: string[] = [];
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, "utf8");
      const pattern = /^\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']/gm;
      for (const [, target] of text.matchAll(pattern)) {
        if (target.startsWith(".")) {
          await visit(join(dirname(file), target.replace(/\.js$/, ".ts")));
        } else {
          imports.push(target);
        }
      }
    };
    await visit(join(src, "browser.ts"));
    expect([...seen].map((f) => f.slice(src.length + 1)).sort()).toEqual(
      ["browser.ts", "idx.ts", "mnist-bytes.ts", "splits.ts"]);
    // @tapegrad/core and @tapegrad/nn's main entries are themselves checked by `pnpm size`.
    expect([...new Set(imports)].sort()).toEqual(["@tapegrad/core", "@tapegrad/nn"]);
  });
});
