// MNIST from the four IDX files' bytes, checked as a dataset (ranks, label range, counts, sizes):
// no Node built-in, so a page can fetch the files and use it; files.ts reads them from disk.
import { checkOptions } from "@tapegrad/core";
import { type IdxArray, type IdxLimits, isGzip, parseIdx } from "./idx.js";

/** The four standard MNIST file names (Fashion-MNIST uses the same names, gzipped). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** One split: `images` is `[count, rows, cols]` row-major uint8 pixels, `labels` is `[count]`. */
export interface MnistSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** The training (60000 for MNIST) and test (10000) splits. */
export interface MnistFiles {
  train: MnistSplit;
  test: MnistSplit;
}

/** The contents of the four uncompressed IDX files, by role (see {@link MNIST_FILES}). */
export interface MnistBytes {
  readonly trainImages: Uint8Array;
  readonly trainLabels: Uint8Array;
  readonly testImages: Uint8Array;
  readonly testLabels: Uint8Array;
}

/** The names one split's files go by in error messages (paths, or the standard names). */
export interface SplitNames {
  readonly images: string;
  readonly labels: string;
}

function describe(array: IdxArray): string {
  return `rank ${array.shape.length} ${array.dtype} [${array.shape.join(", ")}]`;
}

/**
 * Checks the images and labels of one split and packs them; errors start with `where` and name
 * the files involved.
 */
export function checkSplit(
  where: string, names: SplitNames, images: IdxArray, labels: IdxArray,
): MnistSplit {
  if (images.dtype !== "uint8" || images.shape.length !== 3) {
    throw new Error(
      `${where}: ${names.images}: expected rank-3 uint8 images; got ${describe(images)}`,
    );
  }
  if (labels.dtype !== "uint8" || labels.shape.length !== 1) {
    throw new Error(
      `${where}: ${names.labels}: expected rank-1 uint8 labels; got ${describe(labels)}`,
    );
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  if (count === 0 || rows === 0 || cols === 0) {
    throw new Error(
      `${where}: ${names.images}: holds no pixels; got ${count} images of ${rows}×${cols}`,
    );
  }
  if (labels.shape[0] !== count) {
    throw new Error(
      `${where}: ${names.images} has ${count} images but ${names.labels} has ` +
        `${labels.shape[0]} labels`,
    );
  }
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad !== -1) {
    const got = `got ${labels.data[bad]} at index ${bad}`;
    throw new Error(`${where}: ${names.labels}: labels must be in 0..9; ${got}`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/** Checks that both splits hold images of one size; `trainName`/`testName` name the files. */
export function checkSameSize(
  where: string, files: MnistFiles, trainName: string, testName: string,
): void {
  const { train, test } = files;
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new Error(
      `${where}: ${trainName} holds ${train.rows}×${train.cols} images but ` +
        `${testName} holds ${test.rows}×${test.cols}; train and test must match`,
    );
  }
}

const ROLES = Object.keys(MNIST_FILES) as Array<keyof typeof MNIST_FILES>;

/**
 * MNIST (or a same-format dataset) from the bytes of its four uncompressed IDX files, checked
 * as `readMnistFiles` checks files: rank-3 uint8 images, rank-1 uint8 labels in 0..9, matching
 * counts, one image size. Runs anywhere (no Node built-in): in a page, fetch the files.
 * @param bytes - each file's whole contents; gzipped ones are refused (decompress them first).
 * @returns `{ train, test }`, each with flat `images` (`[count, rows, cols]`) and `labels`.
 * @example
 * ```ts
 * const get = async (role: keyof typeof MNIST_FILES) =>
 *   new Uint8Array(await (await fetch(`/mnist/${MNIST_FILES[role]}`)).arrayBuffer());
 * const files = mnistFromBytes({
 *   trainImages: await get("trainImages"), trainLabels: await get("trainLabels"),
 *   testImages: await get("testImages"), testLabels: await get("testLabels"),
 * });
 * files.train.count; // 60000
 * ```
 */
export function mnistFromBytes(bytes: MnistBytes, options?: IdxLimits): MnistFiles {
  const where = "mnistFromBytes";
  checkOptions(where, bytes, ROLES);
  const arrays = ROLES.map((role) => {
    const data = bytes[role];
    const name = MNIST_FILES[role];
    if (!(data instanceof Uint8Array)) {
      const got = data === undefined ? "nothing" : Object.prototype.toString.call(data);
      throw new TypeError(`${where}: ${role} (${name}) must be a Uint8Array; got ${got}`);
    }
    if (isGzip(data)) {
      throw new Error(
        `${where}: ${role} (${name}) is gzipped; decompress it first (in a page: ` +
          "new Response(blob.stream().pipeThrough(new DecompressionStream(\"gzip\"))))",
      );
    }
    return parseIdx(data, name, options);
  });
  const [trainImages, trainLabels, testImages, testLabels] = arrays;
  const names = (split: "train" | "test"): SplitNames => split === "train"
    ? { images: MNIST_FILES.trainImages, labels: MNIST_FILES.trainLabels }
    : { images: MNIST_FILES.testImages, labels: MNIST_FILES.testLabels };
  const files = {
    train: checkSplit(where, names("train"), trainImages, trainLabels),
    test: checkSplit(where, names("test"), testImages, testLabels),
  };
  checkSameSize(where, files, MNIST_FILES.trainImages, MNIST_FILES.testImages);
  return files;
}
