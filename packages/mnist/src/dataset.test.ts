// Dataset tests: pixel scaling, splits, --limit, label frequencies, splits as fit's data.
import { describe, expect, it } from "vitest";
import { labelFrequencies, loadMnist, splitData, splitMnist, toImageTensor } from "./dataset.js";
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

describe("splitData", () => {
  it("hands fit the shared images, the labels and the split's rows, uncopied", () => {
    const data = splitMnist(files, { validation: 20 });
    const validation = splitData(data.validation);
    expect(validation.x).toBe(data.train.images);
    expect(validation.y).toBe(data.validation.labels);
    expect(validation.indices).toBe(data.validation.indices);
  });
});

describe("options", () => {
  const js = <T>(value: unknown) => value as T;

  it("splitMnist and loadMnist refuse unknown keys", async () => {
    expect(() => splitMnist(files, js({ limit: 50, validationSize: 5 }))).toThrow(
      'splitMnist: unknown option "validationSize"; did you mean "validation"? ' +
        "Valid options: dataDir, limit, validation, maxBytes",
    );
    await expect(loadMnist(js({ data_dir: "/nowhere" }))).rejects.toThrow(
      'loadMnist: unknown option "data_dir"; did you mean "dataDir"? ' +
        "Valid options: dataDir, limit, validation, maxBytes",
    );
  });
});
