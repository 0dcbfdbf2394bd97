// readIdxFile and readMnistFiles on hostile folders: OS errors, devices, limits, bombs.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadMnist } from "./dataset.js";
import { MNIST_FILES, readIdxFile, readMnistFiles } from "./files.js";
import { encodeIdx, type IdxArray } from "./idx.js";
import { gzipBomb, idxHeader } from "../test/idx-corpus.js";

const u8 = (shape: number[], values: number[]): IdxArray => ({
  dtype: "uint8", shape, data: new Uint8Array(values),
});
const LIMIT = "pass { maxBytes } to raise the limit";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-bounds-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a valid tiny dataset, then `over` replaces files by raw bytes. */
async function dataset(over: Partial<Record<keyof typeof MNIST_FILES, Uint8Array>> = {}) {
  const arrays = {
    trainImages: u8([3, 2, 2], Array(12).fill(1)), trainLabels: u8([3], [0, 1, 2]),
    testImages: u8([1, 2, 2], Array(4).fill(2)), testLabels: u8([1], [3]),
  };
  for (const [key, name] of Object.entries(MNIST_FILES)) {
    const k = key as keyof typeof MNIST_FILES;
    await writeFile(join(dir, name), over[k] ?? encodeIdx(arrays[k]));
  }
}

describe("readIdxFile", () => {
  it("names the path for a missing file, a directory, a file used as a folder", async () => {
    const path = join(dir, "x.idx");
    await expect(readIdxFile(path)).rejects.toThrow(`readIdxFile: ${path}: no such file`);
    await mkdir(path);
    await expect(readIdxFile(path)).rejects.toThrow(
      `readIdxFile: ${path}: is a directory, not a file`,
    );
    await writeFile(join(dir, "f"), "x");
    await expect(readIdxFile(join(dir, "f", "y"))).rejects.toThrow(
      `readIdxFile: ${join(dir, "f", "y")}: a parent of it is not a directory (ENOTDIR)`,
    );
  });

  it("refuses devices and FIFOs without reading (a FIFO would block forever)", async () => {
    await expect(readIdxFile("/dev/zero")).rejects.toThrow(
      "readIdxFile: /dev/zero: not a regular file",
    );
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    await expect(readIdxFile(fifo)).rejects.toThrow(`readIdxFile: ${fifo}: not a regular file`);
  });

  it("checks the file's size against maxBytes before reading it", async () => {
    const path = join(dir, "big.idx");
    await writeFile(path, "");
    await truncate(path, 600_000_000); // sparse: no disk space used
    await expect(readIdxFile(path)).rejects.toThrow(
      `readIdxFile: ${path}: the file has 600000000 bytes, more than an IDX file within ` +
        `maxBytes 536870912 can; ${LIMIT}`,
    );
  });

  it("passes maxBytes to the parser and to gzip, and checks its options", async () => {
    const path = join(dir, "a.idx");
    await writeFile(path, encodeIdx(u8([2, 3], [1, 2, 3, 4, 5, 6])));
    await expect(readIdxFile(path, { maxBytes: 5 })).rejects.toThrow(
      `parseIdx: ${path}: dimensions 2×3 declare 6 bytes of uint8, more than maxBytes 5; ${LIMIT}`,
    );
    expect((await readIdxFile(path, { maxBytes: 6 })).shape).toEqual([2, 3]);
    await expect(readIdxFile(path, { max_bytes: 6 } as never)).rejects.toThrow(
      'readIdxFile: unknown option "max_bytes"; did you mean "maxBytes"? Valid options: maxBytes',
    );
  });

  it("refuses a gzip bomb on disk, naming the file", async () => {
    const path = join(dir, "bomb.idx.gz");
    await writeFile(path, gzipBomb(idxHeader(0x08, [10]), 1024)); // 1 MB inflating to 1 GiB
    await expect(readIdxFile(path)).rejects.toThrow(
      `gunzipIdx: ${path}: decompresses to more than the 18 bytes its header declares`,
    );
  });
});

describe("readMnistFiles", () => {
  it("names the folder when it is missing or a file", async () => {
    await writeFile(join(dir, "file"), "x");
    await expect(readMnistFiles(join(dir, "file"))).rejects.toThrow(
      `readMnistFiles: ${join(dir, "file")}: is a file, not a folder`,
    );
  });

  it("a directory where an IDX file should be: names it, no bare EISDIR", async () => {
    await dataset();
    await rm(join(dir, MNIST_FILES.trainLabels));
    await mkdir(join(dir, MNIST_FILES.trainLabels));
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readIdxFile: ${join(dir, MNIST_FILES.trainLabels)}: is a directory, not a file`,
    );
  });

  it("refuses images with no pixels, naming the file", async () => {
    await dataset({ testImages: new Uint8Array(idxHeader(0x08, [1, 0, 2])) });
    await expect(readMnistFiles(dir)).rejects.toThrow(
      `readMnistFiles: ${join(dir, MNIST_FILES.testImages)}: holds no pixels; got 1 images of 0×2`,
    );
  });

  it("loadMnist forwards maxBytes", async () => {
    await dataset();
    await expect(loadMnist({ dataDir: dir, maxBytes: 4 })).rejects.toThrow(
      `parseIdx: ${join(dir, MNIST_FILES.trainImages)}: dimensions 3×2×2 declare 12 bytes of ` +
        `uint8, more than maxBytes 4; ${LIMIT}`,
    );
    expect((await loadMnist({ dataDir: dir, maxBytes: 12, validation: 0 })).train.indices.length)
      .toBe(3);
  });
});
