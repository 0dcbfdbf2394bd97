// Gzipped IDX files (Node-only, node:zlib): streamed decompression capped by the IDX header.
import { createGunzip, gzipSync } from "node:zlib";
import {
  type IdxArray, type IdxLimits, checkIdxHeader, encodeIdx, idxHeaderLength, idxMaxBytes, isGzip,
  parseIdx,
} from "./idx.js";

/** Deflate's largest expansion (zlib's documented maximum compression factor). */
const DEFLATE_MAX_RATIO = 1032;

/**
 * Decompresses a gzipped IDX file without ever holding more than its header declares: the
 * header is read from the first bytes out, checked against `maxBytes` (so a small file
 * declaring gigabytes is refused before anything is inflated, as is one declaring more than
 * deflate's 1032:1 could give), the output is allocated once at the declared size, and the
 * stream is stopped as soon as it would run past it.
 * @param name - file name used in error messages.
 * @returns the raw IDX bytes (header and data).
 * @example const raw = await gunzipIdx(await readFile(path), path);
 */
export function gunzipIdx(
  bytes: Uint8Array, name = "idx", options?: IdxLimits,
): Promise<Uint8Array> {
  const where = `gunzipIdx: ${name}`;
  const maxBytes = idxMaxBytes("gunzipIdx", options);
  if (!isGzip(bytes)) {
    return Promise.reject(new Error(`${where}: not gzip data (no 0x1f 0x8b magic)`));
  }
  return new Promise((resolve, reject) => {
    // 256 KiB chunks: with the default 16 KiB, MNIST's 47 MB took twice as long.
    const inflate = createGunzip({ chunkSize: 256 * 1024 });
    const head: Buffer[] = []; // output chunks until the whole header has arrived
    let headLength = 0;
    let out: Uint8Array | undefined;
    let filled = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      reject(error);
    };
    const append = (chunk: Uint8Array): void => {
      if (filled + chunk.length > out!.length) {
        throw new Error(
          `${where}: decompresses to more than the ${out!.length} bytes its header declares`,
        );
      }
      out!.set(chunk, filled);
      filled += chunk.length;
    };
    inflate.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        if (out !== undefined) return append(chunk);
        head.push(chunk);
        headLength += chunk.length;
        const prefix = Buffer.concat(head, headLength);
        if (headLength < 4 || headLength < idxHeaderLength(prefix, where)) return;
        const header = checkIdxHeader(prefix, where, maxBytes);
        // Deflate expands at most 1032:1, so a header declaring more than that is a lie: refusing
        // it here keeps a small file from reserving the declared size.
        const most = DEFLATE_MAX_RATIO * bytes.length;
        if (header.totalBytes > most) {
          throw new Error(
            `${where}: the header declares ${header.totalBytes} bytes (${header.shape.join("×")} ` +
              `${header.dtype}) but ${bytes.length} bytes of gzip data inflate to at most ${most}`,
          );
        }
        out = new Uint8Array(header.totalBytes);
        append(prefix);
      } catch (error) {
        fail(error);
      }
    });
    inflate.on("error", (error: NodeJS.ErrnoException) => {
      const what = error.code === "Z_BUF_ERROR" ? "is truncated" : "is corrupt";
      fail(new Error(`${where}: gzip data ${what} (${error.message})`, { cause: error }));
    });
    inflate.on("end", () => {
      if (settled) return;
      try {
        if (out === undefined) checkIdxHeader(Buffer.concat(head, headLength), where, maxBytes);
        if (filled < out!.length) {
          throw new Error(
            `${where}: truncated: the header declares ${out!.length} bytes, the gzip data ` +
              `holds ${filled}`,
          );
        }
        settled = true;
        resolve(out!);
      } catch (error) {
        fail(error);
      }
    });
    inflate.end(bytes);
  });
}

/**
 * Parses IDX bytes, raw or gzipped (decompressed by {@link gunzipIdx}, within `maxBytes`).
 * @example const labels = await decodeIdx(await readFile(path), path);
 */
export async function decodeIdx(
  bytes: Uint8Array, name = "idx", options?: IdxLimits,
): Promise<IdxArray> {
  const raw = isGzip(bytes) ? await gunzipIdx(bytes, name, options) : bytes;
  return parseIdx(raw, name, options);
}

/**
 * Encodes an array as a gzipped IDX file (as the `.gz` files distributed for MNIST and
 * Fashion-MNIST).
 * @example await writeFile("labels.gz", encodeIdxGzip({ dtype: "uint8", shape: [1], data }));
 */
export function encodeIdxGzip(array: IdxArray): Uint8Array {
  return new Uint8Array(gzipSync(encodeIdx(array)));
}
