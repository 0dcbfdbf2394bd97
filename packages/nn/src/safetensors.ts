// Safetensors weight files: byte-level encode and fully validated decode, no tensor library needed.
import { checkOptions, formatShape } from "@tapegrad/core";
import { checkHeaderText } from "./safetensors-header.js";
import { checkBytes } from "./bytes-input.js";
import { decodeData } from "./safetensors-data.js";

/** Dtype codes written by {@link encodeSafetensors}; decoding also accepts F16 and BF16. */
export type SafeDType = "F32" | "F64" | "I64";

/**
 * One tensor as plain data: row-major `data` of length `product(shape)`; shape `[]` is a scalar.
 * `dtype` names the array type (`"float32"` ↔ `Float32Array`, `"float64"` ↔ `Float64Array`);
 * `"int64"` (I64 in the file, such as PyTorch's `num_batches_tracked`) holds its values in a
 * `Float64Array`, each an integer of at most 2^53 − 1 in magnitude, which a double holds
 * exactly: files with larger values are refused, never rounded.
 */
export interface SafeTensor {
  dtype: "float32" | "float64" | "int64";
  shape: number[];
  data: Float32Array | Float64Array;
}

/** Options for {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /**
   * Largest accepted JSON header in bytes; default 4 MiB (4 194 304: some 30 000 tensors),
   * which bounds the time and memory parsing it takes (about 1 s and 100 MB for a header of
   * 70 000 empty tensors). The reference reader allows 100 000 000; real headers are kilobytes.
   */
  maxHeaderBytes?: number;
}

/** Result of {@link decodeSafetensors}: tensors by name and the `__metadata__` strings. */
export interface DecodedSafetensors {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

const DEFAULT_MAX_HEADER_BYTES = 4 * 1024 * 1024;

const METADATA_KEY = "__metadata__";

// Byte size of every dtype the format defines, so that known-but-unsupported dtypes get a clear
// "not supported" error instead of "unknown".
const ITEM_SIZES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
const READABLE = ["F32", "F64", "F16", "BF16", "I64"];
const CODES = { float32: "F32", float64: "F64", int64: "I64" } as const;

/**
 * Serialise tensors to the safetensors format: an 8-byte little-endian header length, a JSON
 * header padded with spaces to a multiple of 8 bytes, then the little-endian data of each tensor.
 * Tensors are laid out as the reference writer does: F64 before F32 (keeps every tensor naturally
 * aligned), then by name. Output is identical on any platform.
 *
 * @example
 * const bytes = encodeSafetensors(
 *   { "dense.weight": { dtype: "float32", shape: [2, 3], data: new Float32Array(6) } },
 *   { format: "pt" },
 * );
 */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const fn = "encodeSafetensors";
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) checkTensorToEncode(fn, name, t);
  entries.sort(([na, a], [nb, b]) => {
    const bySize = b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT;
    return bySize !== 0 ? bySize : na < nb ? -1 : na > nb ? 1 : 0;
  });

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = checkMetadata(fn, metadata);
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    const dtype: SafeDType = CODES[t.dtype];
    Object.defineProperty(header, name, {
      value: { dtype, shape: t.shape.slice(), data_offsets: [offset, end] },
      enumerable: true, // defineProperty so that a tensor named "__proto__" stays a plain key
    });
    offset = end;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const [, t] of entries) {
    const d = t.data;
    if (d instanceof Float32Array) {
      for (let i = 0; i < d.length; i++) view.setFloat32(pos + 4 * i, d[i], true);
    } else if (t.dtype === "int64") {
      for (let i = 0; i < d.length; i++) view.setBigInt64(pos + 8 * i, BigInt(d[i]), true);
    } else {
      for (let i = 0; i < d.length; i++) view.setFloat64(pos + 8 * i, d[i], true);
    }
    pos += d.byteLength;
  }
  return out;
}

/**
 * Parse and validate a safetensors file. The header is read with `JSON.parse` only, so loading
 * never runs code. F32 and F64 decode to `Float32Array`/`Float64Array`; F16 and BF16 widen exactly
 * to `Float32Array` (dtype `"float32"`); I64 decodes to a `Float64Array` (dtype `"int64"`) when
 * every value is within ±(2^53 − 1), and is refused otherwise, naming the tensor and the value;
 * every other dtype is rejected, naming the tensor. Arrays are fresh copies (aligned,
 * independent of `bytes`).
 *
 * Throws `Error` for a short file, an oversized or out-of-file header, bad UTF-8 or JSON, a header
 * that is not an object, a bad dtype, shape or `data_offsets`, a shape whose byte size disagrees
 * with its offsets, overlapping tensors, holes or trailing bytes in the data region, and non-string
 * metadata.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(await readFile("model.safetensors"));
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const fn = "decodeSafetensors";
  checkBytes(`${fn}: bytes`, bytes);
  const { maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES } =
    checkOptions(fn, options, ["maxHeaderBytes"]);
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 1) {
    throw new RangeError(`${fn}: maxHeaderBytes must be a positive integer; got ${maxHeaderBytes}`);
  }
  const header = parseHeader(fn, bytes, maxHeaderBytes);
  const dataStart = 8 + header.length;
  const dataLength = bytes.length - dataStart;

  const layouts: Layout[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header.json)) {
    if (name === METADATA_KEY) metadata = checkMetadata(fn, info);
    else layouts.push(checkTensorInfo(fn, name, info, dataLength));
  }
  checkCoverage(fn, layouts, dataLength);

  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, dataLength);
  const tensors = Object.fromEntries(
    layouts.map((l) => [l.name, { ...decodeData(fn, view, l), shape: l.shape }] as const),
  );
  return { tensors, metadata: Object.fromEntries(Object.entries(metadata)) };
}

export interface Layout {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(
  fn: string,
  bytes: Uint8Array,
  maxHeaderBytes: number,
): { length: number; json: Record<string, unknown> } {
  if (bytes.length < 8) {
    throw new Error(`${fn}: file shorter than the 8-byte header length; got ${bytes.length} bytes`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new Error(
      `${fn}: header length runs past the end of the file; got ${n} with ` +
        `${bytes.length - 8} bytes after the 8-byte prefix`,
    );
  }
  if (n > BigInt(maxHeaderBytes)) {
    throw new Error(`${fn}: header length exceeds maxHeaderBytes ${maxHeaderBytes}; got ${n}`);
  }
  const length = Number(n);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch {
    throw new Error(`${fn}: header is not valid UTF-8; got ${length} header bytes`);
  }
  // Before JSON.parse: nesting is bounded first (so neither parsing nor an error message can
  // build something deep), and duplicate keys, which JSON.parse would silently drop, are found.
  const afterParse = checkHeaderText(fn, text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`${fn}: header is not valid JSON; got ${detail}`);
  }
  if (!isPlainObject(json)) {
    throw new Error(`${fn}: header must be a JSON object; got ${describe(json)}`);
  }
  afterParse();
  return { length, json };
}

function checkTensorInfo(fn: string, name: string, info: unknown, dataLength: number): Layout {
  const where = `${fn}: tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(info)) {
    throw new Error(`${where}: entry must be an object; got ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string" || !(dtype in ITEM_SIZES)) {
    throw new Error(`${where}: unknown dtype; got ${describe(dtype)}`);
  }
  if (!READABLE.includes(dtype)) {
    const expected = READABLE.join(", ");
    throw new Error(`${where}: dtype not supported (expected ${expected}); got ${dtype}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new Error(`${where}: shape must list non-negative integers; got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new Error(
      `${where}: data_offsets must be [begin, end] of non-negative integers; ` +
        `got ${describe(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new Error(`${where}: data_offsets begin > end; got [${begin}, ${end}]`);
  if (end > dataLength) {
    throw new Error(
      `${where}: data_offsets [${begin}, ${end}] run past the data region; got ${dataLength} bytes`,
    );
  }
  const elements = shape.reduce((p: number, d: number) => p * d, 1);
  if (elements > Number.MAX_SAFE_INTEGER) {
    throw new Error(`${where}: shape ${formatShape(shape)} has more than 2^53 elements`);
  }
  const needed = elements * ITEM_SIZES[dtype];
  if (needed !== end - begin) {
    throw new Error(
      `${where}: shape ${formatShape(shape)} needs ${needed} bytes (${dtype}) but data_offsets ` +
        `span ${end - begin}; got data_offsets [${begin}, ${end}]`,
    );
  }
  return { name, dtype, shape: shape.slice(), begin, end };
}

// Tensors must tile [0, dataLength) exactly: sorted by offset, no overlap, no hole, no tail.
function checkCoverage(fn: string, layouts: Layout[], dataLength: number): void {
  const sorted = layouts.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  const tensor = (l: Layout): string => `tensor ${JSON.stringify(l.name)}`;
  let prev: Layout | undefined;
  for (const l of sorted) {
    const at = prev === undefined ? 0 : prev.end;
    if (l.begin < at && prev !== undefined) {
      throw new Error(
        `${fn}: ${tensor(l)} overlaps ${tensor(prev)}; ` +
          `got data_offsets [${l.begin}, ${l.end}] and [${prev.begin}, ${prev.end}]`,
      );
    }
    if (l.begin > at) {
      const after =
        prev === undefined ? "the start of the data region" : tensor(prev);
      throw new Error(
        `${fn}: hole of ${l.begin - at} bytes before ${tensor(l)} after ` +
          `${after}; got data_offsets [${l.begin}, ${l.end}], expected begin ${at}`,
      );
    }
    prev = l;
  }
  const covered = prev === undefined ? 0 : prev.end;
  if (covered !== dataLength) {
    throw new Error(
      `${fn}: ${dataLength - covered} trailing bytes after the last tensor; got a data region of ` +
        `${dataLength} bytes with tensors covering ${covered}`,
    );
  }
}

function checkTensorToEncode(fn: string, name: string, t: SafeTensor): void {
  const where = `${fn}: tensor ${JSON.stringify(name)}`;
  if (name === METADATA_KEY) {
    throw new Error(`${fn}: "${METADATA_KEY}" is reserved for metadata; got it as a tensor name`);
  }
  const ok =
    (t.dtype === "float32" && t.data instanceof Float32Array) ||
    ((t.dtype === "float64" || t.dtype === "int64") && t.data instanceof Float64Array);
  if (!ok) {
    const kind = (t.data as unknown as object | undefined)?.constructor?.name ?? describe(t.data);
    throw new Error(
      `${where}: dtype and data disagree; got dtype ${describe(t.dtype)} with ${kind}`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegativeInteger)) {
    throw new Error(`${where}: shape must list non-negative integers; got ${describe(t.shape)}`);
  }
  const size = t.shape.reduce((p, d) => p * d, 1);
  if (size !== t.data.length) {
    throw new Error(
      `${where}: shape ${formatShape(t.shape)} has ${size} elements; ` +
        `got data of length ${t.data.length}`,
    );
  }
  if (t.dtype === "int64") {
    const i = t.data.findIndex((v) => !Number.isSafeInteger(v));
    if (i >= 0) {
      throw new Error(
        `${where}: int64 values must be integers within ±(2^53 − 1); got ${t.data[i]} at ` +
          `index ${i}`,
      );
    }
  }
}

function checkMetadata(fn: string, metadata: unknown): Record<string, string> {
  if (!isPlainObject(metadata)) {
    throw new Error(
      `${fn}: ${METADATA_KEY} must be an object of strings; got ${describe(metadata)}`,
    );
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new Error(
        `${fn}: ${METADATA_KEY} value for ${JSON.stringify(key)} must be a string; ` +
          `got ${describe(value)}`,
      );
    }
  }
  return metadata as Record<string, string>;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

// Short printable form of a JSON value for error messages: it stringifies at most a few dozen
// elements of a big array or object, not all of them.
function describe(x: unknown): string {
  const text = JSON.stringify(shorten(x, 2)) ?? String(x);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function shorten(x: unknown, depth: number): unknown {
  if (typeof x !== "object" || x === null) return x;
  if (depth === 0) return Array.isArray(x) ? "[…]" : "{…}";
  if (Array.isArray(x)) return x.slice(0, 20).map((v) => shorten(v, depth - 1));
  const entries = Object.entries(x).slice(0, 20);
  return Object.fromEntries(entries.map(([k, v]) => [k, shorten(v, depth - 1)]));
}
