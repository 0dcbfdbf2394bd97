// Reading a file from a stranger: its kind and size are checked before a byte is read.
import { open, stat } from "node:fs/promises";
import { osReason } from "./out-folder.js";

/** How {@link readFileWithin} names the file and the way to raise its limit in errors. */
export interface ReadWithin {
  /** Prefixes every message, e.g. "--model spec.json" or "loadCheckpoint: runs/a/spec.json". */
  readonly where: string;
  /** Most bytes accepted. */
  readonly maxBytes: number;
  /** Said after the limit in parentheses: how to raise it, or where it comes from. */
  readonly raise?: string;
}

/**
 * The bytes of the regular file at `path`, or one clear error: missing, a folder, a FIFO or
 * device (which would block or never end), unreadable, or larger than `maxBytes` — the last
 * checked with `stat`, so a 2 GB file is refused without reading it.
 * @example
 * const bytes = await readFileWithin("spec.json", { where: "--model spec.json", maxBytes: 1e6 });
 */
export async function readFileWithin(path: string, options: ReadWithin): Promise<Uint8Array> {
  const { where, maxBytes, raise } = options;
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new Error(`${where}: is a folder, not a file`);
    if (!info.isFile()) throw new Error(`${where}: not a regular file (a FIFO or a device?)`);
    size = info.size;
  } catch (error) {
    if ((error as Error).message.startsWith(where)) throw error;
    throw new Error(`${where}: cannot read it: ${osReason(error)}`, { cause: error });
  }
  if (size > maxBytes) {
    throw new Error(
      `${where} is ${size} bytes long; the limit is ${maxBytes}${raise ? ` (${raise})` : ""}`,
    );
  }
  try {
    return await readAtMost(path, size);
  } catch (error) {
    throw new Error(`${where}: cannot read it: ${osReason(error)}`, { cause: error });
  }
}

/** The first `size` bytes of a file (fewer if it shrank), never more: it may have grown. */
export async function readAtMost(path: string, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  const file = await open(path, "r");
  try {
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await file.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await file.close();
  }
}
