// Atomic file writes: a temp file beside the target, fsynced, then renamed over the target.
import { randomBytes } from "node:crypto";
import {
  closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync,
} from "node:fs";
import { open, readdir, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Write `data` (bytes, or a string as UTF-8) to `path` atomically: readers see either the old file
 * or the complete new one, never a partial write, even if the process crashes midway. The data goes
 * to a uniquely named temp file beside `path`, is fsynced, then renamed over `path`. On any error
 * the temp file is removed, an existing `path` is left untouched, and the error is rethrown.
 *
 * NOTE: the new file gets default permissions (0o666 minus umask), not those of the file it
 * replaces.
 *
 * @example
 * await writeFileAtomic("model.safetensors", encodeSafetensors(weights));
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = atomicTempPath(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx"); // "x": never reuse or clobber an existing file
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/**
 * Synchronous {@link writeFileAtomic}: same temp-file, fsync and rename steps and the same cleanup.
 *
 * @example
 * writeFileAtomicSync("spec.json", JSON.stringify(spec));
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const temp = atomicTempPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx");
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) quietly(() => closeSync(fd as number));
    quietly(() => rmSync(temp, { force: true }));
    throw err;
  }
  syncDirectorySync(dirname(path));
}

/**
 * The temp file {@link writeFileAtomic} writes before renaming it to `path`: beside it (so the
 * rename stays on one filesystem and hence is atomic), named `.<name>.<pid>.<12 hex>.tmp`.
 * A process killed mid-write leaves it behind; {@link removeStaleTempFiles} recognises it.
 * @example
 * atomicTempPath("runs/a/checkpoint.json"); // "runs/a/.checkpoint.json.4711.9f86d081884c.tmp"
 */
export function atomicTempPath(path: string): string {
  const suffix = randomBytes(6).toString("hex");
  return join(dirname(path), `.${basename(path)}.${process.pid}.${suffix}.tmp`);
}

// Exactly what atomicTempPath makes: a dot, the target's name, a pid, 12 lowercase hex digits.
const TEMP_NAME = /^\.(.+)\.([1-9]\d{0,9})\.([0-9a-f]{12})\.tmp$/;

/** True when `name` (a file name, no folder) has the form of {@link atomicTempPath}'s files. */
export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Removes the temp files a killed {@link writeFileAtomic} left in `dir` (not its subfolders):
 * regular files named exactly as {@link atomicTempPath} names them, whose process is gone.
 * Files of a live process other than this one are left alone (another writer may be midway);
 * this process's own count as stale, so call it before this process writes into `dir`.
 * Anything else — a user's `notes.tmp`, a symlink, a folder — is never touched.
 * @returns the names removed; an empty list when `dir` does not exist.
 * @example await removeStaleTempFiles("runs/a") // [".checkpoint.json.4711.9f86d081884c.tmp"]
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMP_NAME.exec(entry.name);
    if (!entry.isFile() || match === null || isOtherLiveProcess(Number(match[2]))) continue;
    await rm(join(dir, entry.name), { force: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

// Signal 0 only checks: ESRCH means no such process, EPERM one of another user (alive).
function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Best effort: persist the rename itself. Directories cannot be opened for fsync on Windows.
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // the file is already in place; a directory fsync failure does not undo that
  }
}

function syncDirectorySync(dir: string): void {
  if (process.platform === "win32") return;
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // see syncDirectory
  }
}

// Cleanup after a failure must not replace the original error.
function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // keep the original error
  }
}
