// An output folder made ready before any work: created level by level, proven writable.
import type { Stats } from "node:fs";
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { atomicTempPath } from "@tapegrad/nn/node";

// More missing levels than any sane output path has; it also bounds the walk up.
const MAX_NEW_LEVELS = 64;

/** What an OS error code means, in words, with the code for searching. */
export function osReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT": return "no such file or folder (ENOENT)";
    case "EACCES": case "EPERM": return `permission denied (${code})`;
    case "EROFS": return "read-only file system (EROFS)";
    case "ENOSPC": return "no space left on the device (ENOSPC)";
    case "ENOTDIR": return "a part of the path is not a folder (ENOTDIR)";
    case "EISDIR": return "is a folder, not a file (EISDIR)";
    case "ENAMETOOLONG": return "the name is too long (ENAMETOOLONG)";
    case "ELOOP": return "too many symbolic links (ELOOP)";
    default: return code ? `${code}: ${(error as Error).message}` : String(error);
  }
}

/** "a file", "a FIFO", … for a path that is not a folder. */
function kindOf(info: { isFile(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isFile()) return "a file";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  return "a device";
}

async function statOrMissing(path: string): Promise<Stats | "ENOENT"> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "ENOENT";
    throw error;
  }
}

/**
 * Makes `path` an existing, writable folder, or throws one line naming it as `label` (a flag
 * such as "--out"): `--out runs/a: a file is in the way (runs/a is a file)`,
 * `--out /proc/x: cannot create the folder: …`, `--out ro: the folder is not writable: …`.
 * It proves the folder writable by creating and removing a file named as writeFileAtomic
 * names its temp files (so a kill at that moment leaves nothing the next run keeps).
 * @example await prepareOutputFolder("runs/seed", "--out");
 */
export async function prepareOutputFolder(path: string, label: string): Promise<void> {
  await createFolder(path, label);
  await proveWritable(path, `${label} ${path}`);
}

/**
 * Creates `path` and its missing parents, or throws one line naming it as `label`.
 *
 * NOTE: Node 20's `mkdir(path, { recursive: true })` loops forever under /proc; this walks up
 * to the first existing folder (at most 64 levels) and creates each missing level with a
 * plain mkdir.
 */
export async function createFolder(path: string, label: string): Promise<void> {
  const where = `${label} ${path}`;
  if (path === "") throw new Error(`${label} must name a folder; got ""`);
  const missing: string[] = [];
  let at = path;
  for (;;) {
    let info;
    try {
      info = await statOrMissing(at);
    } catch (error) {
      throw new Error(`${where}: cannot create the folder: ${at}: ${osReason(error)}`);
    }
    if (info !== "ENOENT") {
      if (!info.isDirectory()) {
        throw new Error(`${where}: a file is in the way (${at} is ${kindOf(info)})`);
      }
      break;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) throw new Error(`${where}: cannot create the folder: ${at} is gone`);
    if (missing.length > MAX_NEW_LEVELS) {
      throw new Error(
        `${where}: cannot create the folder: more than ${MAX_NEW_LEVELS} missing levels`,
      );
    }
    at = parent;
  }
  for (const level of missing) await createLevel(level, where);
}

async function createLevel(level: string, where: string): Promise<void> {
  try {
    await mkdir(level);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      const info = await stat(level).catch(() => undefined);
      if (info?.isDirectory()) return; // made meanwhile by someone else: fine
      if (info) throw new Error(`${where}: a file is in the way (${level} is ${kindOf(info)})`);
    }
    // mkdir gives ENOENT where the parent exists but takes no new entries (/proc, /sys).
    const hint = code === "ENOENT"
      ? ` — ${dirname(level)} takes no new folders (a pseudo-filesystem such as /proc?)` : "";
    throw new Error(
      `${where}: cannot create the folder: mkdir ${level}: ${osReason(error)}${hint}`,
    );
  }
}

async function proveWritable(path: string, where: string): Promise<void> {
  const probe = atomicTempPath(join(path, "write-probe"));
  try {
    const handle = await open(probe, "wx");
    await handle.close();
  } catch (error) {
    throw new Error(`${where}: the folder is not writable: ${osReason(error)}`);
  }
  await rm(probe, { force: true });
}
