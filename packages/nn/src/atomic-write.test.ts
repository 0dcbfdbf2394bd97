// Tests for atomic file writes: content, overwrite, no leftover temp files, cleanup on failure,
// and the removal of temp files a killed writer left behind.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  atomicTempPath, isAtomicTempName, removeStaleTempFiles, writeFileAtomic, writeFileAtomicSync,
} from "./atomic-write.js";

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

describe("removeStaleTempFiles", () => {
  it("names the writer's temp files as atomicTempPath makes them", () => {
    const temp = atomicTempPath(join("runs", "a", "checkpoint.json"));
    const pattern = `^runs/a/\\.checkpoint\\.json\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`;
    expect(temp).toMatch(new RegExp(pattern));
    expect(isAtomicTempName(basename(temp))).toBe(true);
    for (const name of ["notes.tmp", ".checkpoint.json.tmp", ".a.12.0123456789ab.tmp.bak"]) {
      expect(isAtomicTempName(name)).toBe(false);
    }
  });

  it("removes a dead or this process's temp files and nothing else", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number; // has exited
    const hex = "0123456789ab";
    const stale = [
      `.checkpoint.json.${dead}.${hex}.tmp`, `.loss-curve.svg.${process.pid}.${hex}.tmp`,
    ];
    const kept = [
      "notes.tmp", ".checkpoint.json.tmp", `.x.${dead}.0123456789AB.tmp`, `.x.${dead}.abc.tmp`,
      `.x.0.${hex}.tmp`, `x.${dead}.${hex}.tmp`, `.x.${process.ppid}.${hex}.tmp`, // a live pid
    ];
    for (const name of [...stale, ...kept]) await writeFile(join(dir, name), "x");
    await mkdir(join(dir, `.folder.${dead}.${hex}.tmp`));
    await symlink(join(dir, "notes.tmp"), join(dir, `.link.${dead}.${hex}.tmp`));
    expect(await removeStaleTempFiles(dir)).toEqual([...stale].sort());
    expect((await readdir(dir)).sort()).toEqual([
      ...kept, `.folder.${dead}.${hex}.tmp`, `.link.${dead}.${hex}.tmp`,
    ].sort());
    expect(await removeStaleTempFiles(join(dir, "missing"))).toEqual([]);
  });
});
