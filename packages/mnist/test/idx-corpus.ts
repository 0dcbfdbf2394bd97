// The adversarial IDX corpus, raw and gzipped: every case with its exact outcome.
import { gzipSync } from "node:zlib";
import { type IdxArray, encodeIdx } from "../src/idx.js";

/** What decoding a corpus file must give: this exact error message, or these values. */
export type CorpusOutcome = { readonly error: string } | { readonly value: unknown };

/** One file of a corpus. `name` is unique within its format and is the file's name. */
export interface CorpusCase {
  readonly name: string;
  /** What the case probes, in a few words. */
  readonly about: string;
  /** The file's bytes, built on demand (a few cases are megabytes). */
  readonly bytes: () => Uint8Array;
  readonly expected: CorpusOutcome;
}

/** An IDX header: zero bytes, type byte, rank, big-endian uint32 dimensions. */
export function idxHeader(type: number, dims: readonly number[]): number[] {
  const out = [0, 0, type, dims.length];
  for (const d of dims) out.push((d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
  return out;
}

const bytesOf = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const gz = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));
const asValue = (a: IdxArray) => ({ dtype: a.dtype, shape: a.shape, data: Array.from(a.data) });

/**
 * A gzip stream (several members, as gzip allows) of `header` followed by zeros, inflating to
 * `mebibytes` MiB: about 1 KB of file per MiB, so gigabytes cost a few megabytes to build.
 */
export function gzipBomb(header: readonly number[], mebibytes: number): Uint8Array {
  const mib = 1 << 20;
  const first = new Uint8Array(mib);
  first.set(header);
  const zeros = gzipSync(new Uint8Array(mib));
  const members = [gzipSync(first)];
  for (let i = 1; i < mebibytes; i++) members.push(zeros);
  return new Uint8Array(Buffer.concat(members));
}

const RANGE = "expected 0x000008xx..0x00000exx";
const TYPES = "0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32), " +
  "0x0e (float64)";
const LIMIT = "more than maxBytes 536870912; pass { maxBytes } to raise the limit";

const samples: readonly IdxArray[] = [
  { dtype: "uint8", shape: [2, 3], data: new Uint8Array([0, 1, 127, 128, 254, 255]) },
  { dtype: "int8", shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
  { dtype: "int16", shape: [2, 2], data: new Int16Array([-32768, -2, 258, 32767]) },
  { dtype: "int32", shape: [3], data: new Int32Array([-2147483648, -1, 2147483647]) },
  { dtype: "float32", shape: [1, 3], data: new Float32Array([-1.5, 3.25, Math.fround(0.1)]) },
  { dtype: "float64", shape: [2, 1, 2], data: new Float64Array([-0.1, 1e300, 2, 5e-324]) },
];

// int16 2×3: 12 header bytes + 12 data bytes = 24; truncated at every byte below.
const base: IdxArray = { dtype: "int16", shape: [2, 3], data: new Int16Array([1, 2, 3, 4, 5, 6]) };

function rawCases(): CorpusCase[] {
  const cases: CorpusCase[] = samples.map((a) => ({
    name: `valid-${a.dtype}-${a.shape.join("x")}.idx`,
    about: `a valid ${a.dtype} file`,
    bytes: () => encodeIdx(a),
    expected: { value: asValue(a) },
  }));
  const err = (name: string, about: string, bytes: () => Uint8Array, message: string) =>
    cases.push({ name, about, bytes, expected: { error: `parseIdx: ${name}: ${message}` } });
  cases.push({
    name: "valid-zero-dim-0x28x28.idx", about: "a zero dimension: an empty array",
    bytes: () => bytesOf(idxHeader(0x08, [0, 28, 28])),
    expected: { value: { dtype: "uint8", shape: [0, 28, 28], data: [] } },
  });
  cases.push({
    name: "valid-rank16.idx", about: "the largest rank accepted",
    bytes: () => bytesOf(idxHeader(0x08, Array(16).fill(1)), [9]),
    expected: { value: { dtype: "uint8", shape: Array(16).fill(1), data: [9] } },
  });
  const whole = encodeIdx(base);
  for (let n = 0; n < whole.length; n++) {
    const message = n < 4 ? `truncated header: need 4 bytes for the magic, file has ${n}`
      : n < 12 ? `truncated header: rank 2 needs 12 header bytes, file has ${n}`
      : `truncated: header says 2×3 (24 bytes), file has ${n}`;
    err(`truncated-at-${n}.idx`, "int16 2×3 cut short", () => whole.slice(0, n), message);
  }
  err("trailing-1.idx", "one byte too many", () => bytesOf(whole, [0]),
    "1 trailing bytes after the data: header says 2×3 (24 bytes), file has 25");
  err("trailing-4096.idx", "a page too many", () => bytesOf(whole, new Uint8Array(4096)),
    "4096 trailing bytes after the data: header says 2×3 (24 bytes), file has 4120");
  err("magic-nonzero.idx", "first byte not 0", () => bytesOf([1, 0, 8, 1, 0, 0, 0, 1, 5]),
    `bad magic 0x01000801; ${RANGE}`);
  err("magic-byteswapped.idx", "a little-endian header", () => bytesOf([1, 8, 0, 0]),
    `bad magic 0x01080000; ${RANGE} (looks byte-swapped: little-endian header?)`);
  err("html.idx", "an HTML error page",
    () => new TextEncoder().encode("<!DOCTYPE html><title>404</title>"),
    `bad magic 0x3c21444f; ${RANGE} (looks like HTML/XML text, not an IDX file)`);
  err("type-0x0a.idx", "an unknown type byte", () => bytesOf([0, 0, 0x0a, 1, 0, 0, 0, 0]),
    `bad magic 0x00000a01: unknown type byte 0x0a; ${RANGE} with type one of ${TYPES}`);
  for (const rank of [0, 17, 255]) {
    err(`rank-${rank}.idx`, "a rank out of range", () => bytesOf([0, 0, 8, rank]),
      `rank must be in 1..16; got ${rank}`);
  }
  // Products that wrap to small numbers in 32-bit arithmetic (65536·65537 mod 2^32 = 65536).
  err("wrap-65536x65537.idx", "a count that wraps to 65536 in 32 bits",
    () => bytesOf(idxHeader(0x08, [65536, 65537]), new Uint8Array(65536)),
    "dimensions 65536×65537 exceed 2147483648 elements");
  err("wrap-65536x65536.idx", "a count that wraps to 0 in 32 bits",
    () => bytesOf(idxHeader(0x08, [65536, 65536])),
    "dimensions 65536×65536 exceed 2147483648 elements");
  err("wrap-int32-bytes.idx", "2^30 int32: a byte size that wraps to 0 in 32 bits",
    () => bytesOf(idxHeader(0x0c, [2 ** 30])),
    `dimensions 1073741824 declare 4294967296 bytes of int32, ${LIMIT}`);
  err("dim-ffffffff.idx", "the largest uint32 dimension",
    () => bytesOf(idxHeader(0x08, [0xffffffff])),
    "dimensions 4294967295 exceed 2147483648 elements");
  err("absurd-2^31-uint8.idx", "2 GiB declared in a 8-byte file",
    () => bytesOf(idxHeader(0x08, [2 ** 31])),
    `dimensions 2147483648 declare 2147483648 bytes of uint8, ${LIMIT}`);
  err("absurd-rank16-4s.idx", "4^16 elements from a rank-16 header",
    () => bytesOf(idxHeader(0x08, Array(16).fill(4))),
    `dimensions ${Array(16).fill(4).join("×")} exceed 2147483648 elements`);
  err("over-max-bytes-float64.idx", "8 bytes over the default maxBytes",
    () => bytesOf(idxHeader(0x0e, [2 ** 26 + 1])),
    `dimensions 67108865 declare 536870920 bytes of float64, ${LIMIT}`);
  err("mnist-header-only.idx", "an MNIST images header and no pixels",
    () => bytesOf(idxHeader(0x08, [60000, 28, 28])),
    "truncated: header says 60000×28×28 (47040016 bytes), file has 16");
  return cases;
}

function gzipCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const err = (name: string, about: string, bytes: () => Uint8Array, message: string) =>
    cases.push({ name, about, bytes, expected: { error: `gunzipIdx: ${name}: ${message}` } });
  const whole = encodeIdx(base);
  const packed = gz(whole); // 41 bytes: 10 header, 23 deflate, 8 trailer (CRC-32, size)
  const value = { value: asValue(base) };
  cases.push({ name: "gz-valid.idx.gz", about: "a valid gzipped file", bytes: () => packed,
    expected: value });
  cases.push({ name: "gz-two-members.idx.gz", about: "gzip members back to back",
    bytes: () => bytesOf(gz(whole.slice(0, 10)), gz(whole.slice(10))), expected: value });
  cases.push({ name: "gz-zero-padding.idx.gz", about: "zero bytes after the member (ignored)",
    bytes: () => bytesOf(packed, new Uint8Array(7)), expected: value });
  cases.push({
    name: "gz-truncated-at-1.idx.gz", about: "half the gzip magic: read as raw IDX",
    bytes: () => packed.slice(0, 1),
    expected: { error: "parseIdx: gz-truncated-at-1.idx.gz: truncated header: need 4 bytes " +
      "for the magic, file has 1" },
  });
  // Every structural boundary of the member: magic, method, flags, end of header, inside the
  // deflate data, before the CRC-32, before the size, the last byte.
  for (const n of [2, 3, 4, 10, 11, 20, 33, 37, 40]) {
    err(`gz-truncated-at-${n}.idx.gz`, "the gzip stream cut short", () => packed.slice(0, n),
      "gzip data is truncated (unexpected end of file)");
  }
  const patched = (at: number, value: number) => () => {
    const out = packed.slice();
    out[at] = value;
    return out;
  };
  err("gz-bad-method.idx.gz", "compression method 7", patched(2, 7),
    "gzip data is corrupt (unknown compression method)");
  err("gz-bad-flags.idx.gz", "reserved flag bits set", patched(3, 0xe0),
    "gzip data is corrupt (unknown header flags set)");
  err("gz-bad-block.idx.gz", "deflate block type 3", patched(10, 0xff),
    "gzip data is corrupt (invalid block type)");
  err("gz-bad-crc.idx.gz", "a wrong CRC-32", patched(33, packed[33]! ^ 1),
    "gzip data is corrupt (incorrect data check)");
  err("gz-bad-size.idx.gz", "a wrong ISIZE", patched(40, packed[40]! ^ 1),
    "gzip data is corrupt (incorrect length check)");
  err("gz-trailing-garbage.idx.gz", "text after the member",
    () => bytesOf(packed, new TextEncoder().encode("garbage")),
    "gzip data is corrupt (incorrect header check)");
  err("gz-of-truncated.idx.gz", "a valid gzip of a truncated IDX file",
    () => gz(bytesOf(idxHeader(0x08, [5]), [1, 2])),
    "truncated: the header declares 13 bytes, the gzip data holds 10");
  err("gz-of-trailing.idx.gz", "a valid gzip of an IDX file with 3 bytes too many",
    () => gz(bytesOf(whole, [1, 2, 3])),
    "decompresses to more than the 24 bytes its header declares");
  err("gz-of-3-bytes.idx.gz", "a gzip of 3 bytes", () => gz(bytesOf([0, 0, 8])),
    "truncated header: need 4 bytes for the magic, file has 3");
  err("gz-of-nothing.idx.gz", "a gzip of 0 bytes", () => gz(new Uint8Array(0)),
    "truncated header: need 4 bytes for the magic, file has 0");
  err("gz-of-html.idx.gz", "a gzipped HTML page",
    () => gz(new TextEncoder().encode("<!DOCTYPE html><title>404</title>")),
    `bad magic 0x3c21444f; ${RANGE} (looks like HTML/XML text, not an IDX file)`);
  err("gz-of-gz.idx.gz", "gzipped twice", () => gz(packed),
    `bad magic 0x1f8b0800; ${RANGE} (gzip data: decompress it first, e.g. with decodeIdx)`);
  err("gz-of-absurd-header.idx.gz", "a gzipped header declaring 2 GiB",
    () => gz(bytesOf(idxHeader(0x08, [2 ** 31]))),
    `dimensions 2147483648 declare 2147483648 bytes of uint8, ${LIMIT}`);
  err("gz-claims-more-than-deflate-can.idx.gz", "47 MB declared in a 35-byte gzip",
    () => gz(bytesOf(idxHeader(0x08, [60000, 28, 28]), new Uint8Array(100))),
    "the header declares 47040016 bytes (60000×28×28 uint8) but 35 bytes of gzip data inflate " +
      "to at most 36120");
  // Bombs: a few megabytes inflating to 2 GiB, refused before the memory is spent.
  err("gz-bomb-small-header.idx.gz", "declares 10 bytes, inflates to 2 GiB",
    () => gzipBomb(idxHeader(0x08, [10]), 2048),
    "decompresses to more than the 18 bytes its header declares");
  err("gz-bomb-consistent-header.idx.gz", "declares 2 GiB and inflates to it",
    () => gzipBomb(idxHeader(0x08, [2 ** 31 - 8]), 2048),
    `dimensions 2147483640 declare 2147483640 bytes of uint8, ${LIMIT}`);
  return cases;
}

/** Every IDX corpus case: raw files (`*.idx`) and gzipped ones (`*.idx.gz`). */
export function idxCorpus(): CorpusCase[] {
  return [...rawCases(), ...gzipCases()];
}
