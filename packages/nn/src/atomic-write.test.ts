// Tests for atomic file writes: content, overwrite, no leftover temp files, cleanup on failure.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic, writeFileAtomicSync } from "./atomic-write.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bad = {} as unknown as Uint8Array; // rejected by the write itself, after the temp file exists

const variants = [
  ["writeFileAtomic", writeFileAtomic],
  ["writeFileAtomicSync", async (p: string, d: Uint8Array | string) => writeFileAtomicSync(p, d)],
] as const;

describe.each(variants)("%s", (_, write) => {
  it("writes bytes and strings", async () => {
    await write(join(dir, "w.bin"), new Uint8Array([0, 1, 254, 255]));
    await write(join(dir, "s.txt"), "héllo ✓");
    expect(Array.from(await readFile(join(dir, "w.bin")))).toEqual([0, 1, 254, 255]);
    expect(await readFile(join(dir, "s.txt"), "utf8")).toBe("héllo ✓");
    expect((await readdir(dir)).sort()).toEqual(["s.txt", "w.bin"]);
  });

  it("writes a subarray's own bytes, not its whole backing buffer", async () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    await write(join(dir, "w.bin"), backing.subarray(1, 4));
    expect(Array.from(await readFile(join(dir, "w.bin")))).toEqual([1, 2, 3]);
  });

  it("overwrites an existing file, shorter content included, leaving no temp files", async () => {
    const path = join(dir, "model.safetensors");
    await writeFile(path, "a much longer original content");
    await write(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    await write(path, new Uint8Array(0));
    expect((await readFile(path)).length).toBe(0);
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
  });

  it("throws when the directory does not exist and creates nothing", async () => {
    await expect(write(join(dir, "missing", "f.bin"), "x")).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("throws when the target is a directory, leaving it and no temp file", async () => {
    const target = join(dir, "target");
    await mkdir(target);
    await writeFile(join(target, "inside.txt"), "keep");
    await expect(write(target, "x")).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(await readdir(dir)).toEqual(["target"]);
    expect(await readFile(join(target, "inside.txt"), "utf8")).toBe("keep");
  });

  it("leaves an existing target untouched when the write fails midway", async () => {
    const path = join(dir, "weights.bin");
    await writeFile(path, "original");
    await expect(write(path, bad)).rejects.toThrow(/data/);
    expect(await readFile(path, "utf8")).toBe("original");
    expect(await readdir(dir)).toEqual(["weights.bin"]);
  });
});

describe("writeFileAtomic concurrency", () => {
  it("leaves exactly one complete version when writers race on one path", async () => {
    const path = join(dir, "race.bin");
    const versions = Array.from({ length: 8 }, (_, i) => new Uint8Array(64 * 1024).fill(i + 1));
    await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
    const result = await readFile(path);
    expect(result.length).toBe(64 * 1024);
    expect(result.every((b) => b === result[0])).toBe(true);
    expect(result[0]).toBeGreaterThanOrEqual(1);
    expect(result[0]).toBeLessThanOrEqual(8);
    expect(await readdir(dir)).toEqual(["race.bin"]);
  });
});
