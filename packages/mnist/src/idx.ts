// IDX file format: header, parseIdx (validating, bounded) and encodeIdx; no Node built-ins.
import { checkOptions } from "@tapegrad/core";

/** Element type names of the IDX format, keyed by their type byte. */
export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

/**
 * A parsed IDX array: row-major `data` (native byte order) of `shape`, e.g. `[60000, 28, 28]`.
 * The union is discriminated on `dtype`, so checking `dtype === "uint8"` narrows `data`.
 */
export type IdxArray =
  | { dtype: "uint8"; shape: number[]; data: Uint8Array }
  | { dtype: "int8"; shape: number[]; data: Int8Array }
  | { dtype: "int16"; shape: number[]; data: Int16Array }
  | { dtype: "int32"; shape: number[]; data: Int32Array }
  | { dtype: "float32"; shape: number[]; data: Float32Array }
  | { dtype: "float64"; shape: number[]; data: Float64Array };

/** Limits {@link parseIdx} and the file readers check before allocating anything. */
export interface IdxLimits {
  /**
   * Largest data size accepted, in bytes (default {@link IDX_DEFAULT_MAX_BYTES}, 512 MiB). A
   * header declaring more is refused before anything is allocated or decompressed.
   */
  readonly maxBytes?: number;
}

type TypedArray = IdxArray["data"];

interface TypeInfo {
  code: number;
  dtype: IdxDtype;
  bytes: number;
  make: (length: number) => TypedArray;
  get: (view: DataView, offset: number) => number;
  set: (view: DataView, offset: number, value: number) => void;
}

// NOTE: DataView getters/setters with littleEndian = false do the big-endian <-> native swap.
const TYPES: readonly TypeInfo[] = [
  {
    code: 0x08, dtype: "uint8", bytes: 1, make: (n) => new Uint8Array(n),
    get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x),
  },
  {
    code: 0x09, dtype: "int8", bytes: 1, make: (n) => new Int8Array(n),
    get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x),
  },
  {
    code: 0x0b, dtype: "int16", bytes: 2, make: (n) => new Int16Array(n),
    get: (v, o) => v.getInt16(o, false), set: (v, o, x) => v.setInt16(o, x, false),
  },
  {
    code: 0x0c, dtype: "int32", bytes: 4, make: (n) => new Int32Array(n),
    get: (v, o) => v.getInt32(o, false), set: (v, o, x) => v.setInt32(o, x, false),
  },
  {
    code: 0x0d, dtype: "float32", bytes: 4, make: (n) => new Float32Array(n),
    get: (v, o) => v.getFloat32(o, false), set: (v, o, x) => v.setFloat32(o, x, false),
  },
  {
    code: 0x0e, dtype: "float64", bytes: 8, make: (n) => new Float64Array(n),
    get: (v, o) => v.getFloat64(o, false), set: (v, o, x) => v.setFloat64(o, x, false),
  },
];

const CONSTRUCTORS: Record<IdxDtype, new (length: number) => TypedArray> = {
  uint8: Uint8Array, int8: Int8Array, int16: Int16Array,
  int32: Int32Array, float32: Float32Array, float64: Float64Array,
};

/** Largest rank accepted; real files have rank 1–4 and the format allows up to 255. */
export const IDX_MAX_RANK = 16;
/** Largest element count accepted (2^31), whatever `maxBytes` allows. */
export const IDX_MAX_ELEMENTS = 2 ** 31;
/** Default `maxBytes`: 512 MiB of data (MNIST's largest file holds 47 MB). */
export const IDX_DEFAULT_MAX_BYTES = 2 ** 29;

/** What an IDX header declares, checked against the limits. */
export interface IdxHeader {
  readonly dtype: IdxDtype;
  readonly shape: number[];
  /** Number of elements: the product of `shape`. */
  readonly count: number;
  /** Bytes of the header (4 + 4·rank). */
  readonly headerBytes: number;
  /** Bytes of the whole file: header plus data. */
  readonly totalBytes: number;
}

const hex = (n: number, digits: number): string => "0x" + n.toString(16).padStart(digits, "0");
const typeList = TYPES.map((t) => `${hex(t.code, 2)} (${t.dtype})`).join(", ");

/** Dimensions as IDX headers read them, e.g. `60000×28×28`. */
function formatDims(shape: readonly number[]): string {
  return shape.join("×");
}

/** True when `bytes` starts with the gzip magic bytes 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** `maxBytes` from checked options. */
export function idxMaxBytes(where: string, options: IdxLimits | undefined): number {
  const { maxBytes = IDX_DEFAULT_MAX_BYTES } = checkOptions(where, options, ["maxBytes"]);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`${where}: maxBytes must be a positive integer; got ${maxBytes}`);
  }
  return maxBytes;
}

/** A hint for common non-IDX inputs (byte-swapped header, an HTML or text page). */
function magicHint(bytes: Uint8Array): string {
  if (bytes[2] === 0 && bytes[3] === 0 && TYPES.some((t) => t.code === bytes[1])) {
    return " (looks byte-swapped: little-endian header?)";
  }
  if (bytes[0] === 0x3c) return " (looks like HTML/XML text, not an IDX file)";
  return "";
}

/**
 * The header length (4 + 4·rank) announced by the first 4 bytes, after checking the magic,
 * the type byte and the rank. `where` starts every error (`parseIdx: train-images`).
 */
export function idxHeaderLength(bytes: Uint8Array, where: string): number {
  checkMagic(bytes, where);
  const rank = bytes[3]!;
  if (rank === 0 || rank > IDX_MAX_RANK) {
    throw new Error(`${where}: rank must be in 1..${IDX_MAX_RANK}; got ${rank}`);
  }
  return 4 + 4 * rank;
}

function checkMagic(bytes: Uint8Array, where: string): TypeInfo {
  if (bytes.length < 4) {
    const has = `file has ${bytes.length}`;
    throw new Error(`${where}: truncated header: need 4 bytes for the magic, ${has}`);
  }
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  const range = "expected 0x000008xx..0x00000exx";
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = isGzip(bytes) ? " (gzip data: decompress it first, e.g. with decodeIdx)" : "";
    throw new Error(`${where}: bad magic ${hex(magic, 8)}; ${range}${gz || magicHint(bytes)}`);
  }
  const info = TYPES.find((t) => t.code === bytes[2]);
  if (info === undefined) {
    throw new Error(
      `${where}: bad magic ${hex(magic, 8)}: unknown type byte ${hex(bytes[2]!, 2)}; ` +
        `${range} with type one of ${typeList}`,
    );
  }
  return info;
}

/** Element count, or Infinity once it passes IDX_MAX_ELEMENTS (stops before precision is lost). */
function elementCount(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > IDX_MAX_ELEMENTS) return Infinity;
  }
  return count;
}

/**
 * Reads and checks the header at the start of `bytes` (the data may be missing): magic, type,
 * rank, and the declared size against `IDX_MAX_ELEMENTS` and `maxBytes`, so a caller can
 * refuse or allocate before reading (or decompressing) the data.
 * @example readIdxHeader(firstBytes, "train-images").shape // [60000, 28, 28]
 */
export function readIdxHeader(bytes: Uint8Array, name = "idx", options?: IdxLimits): IdxHeader {
  return checkIdxHeader(bytes, `readIdxHeader: ${name}`, idxMaxBytes("readIdxHeader", options));
}

/** readIdxHeader with the error prefix (`where`) and limit given by the caller. */
export function checkIdxHeader(bytes: Uint8Array, where: string, maxBytes: number): IdxHeader {
  const headerBytes = idxHeaderLength(bytes, where);
  const info = TYPES.find((t) => t.code === bytes[2])!;
  const rank = bytes[3]!;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${where}: truncated header: rank ${rank} needs ${headerBytes} header bytes, ` +
        `file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = elementCount(shape);
  if (count > IDX_MAX_ELEMENTS) {
    throw new Error(
      `${where}: dimensions ${formatDims(shape)} exceed ${IDX_MAX_ELEMENTS} elements`,
    );
  }
  const dataBytes = count * info.bytes;
  if (dataBytes > maxBytes) {
    throw new Error(
      `${where}: dimensions ${formatDims(shape)} declare ${dataBytes} bytes of ${info.dtype}, ` +
        `more than maxBytes ${maxBytes}; pass { maxBytes } to raise the limit`,
    );
  }
  return { dtype: info.dtype, shape, count, headerBytes, totalBytes: headerBytes + dataBytes };
}

/**
 * Parses an uncompressed IDX file into a typed array in native byte order. Runs anywhere (no
 * Node built-ins); gzip input is refused with a pointer to `decodeIdx` (Node).
 *
 * Validates the magic number, type byte, rank, header length, the declared size against
 * `IDX_MAX_ELEMENTS` and `maxBytes`, and the exact data length (both truncation and trailing
 * bytes) before allocating the output.
 *
 * @param bytes - the whole file.
 * @param name - file name used in error messages.
 * @returns `{ dtype, shape, data }` with `data.length` equal to the product of `shape`.
 * @example
 * ```ts
 * const images = parseIdx(bytes, "train-images-idx3-ubyte");
 * images.shape; // [60000, 28, 28]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = "idx", options?: IdxLimits): IdxArray {
  const where = `parseIdx: ${name}`;
  const header = checkIdxHeader(bytes, where, idxMaxBytes("parseIdx", options));
  const { shape, totalBytes: expected } = header;
  const says = `header says ${formatDims(shape)} (${expected} bytes), file has ${bytes.length}`;
  if (bytes.length < expected) throw new Error(`${where}: truncated: ${says}`);
  if (bytes.length > expected) {
    throw new Error(`${where}: ${bytes.length - expected} trailing bytes after the data: ${says}`);
  }
  const info = TYPES.find((t) => t.dtype === header.dtype)!;
  return {
    dtype: info.dtype, shape, data: readData(bytes, header.headerBytes, header.count, info),
  } as IdxArray;
}

function readData(raw: Uint8Array, start: number, count: number, info: TypeInfo): TypedArray {
  const out = info.make(count);
  // Single-byte types need no swap; copy so the result never aliases the caller's buffer.
  // NOTE: not raw.slice: on a Node Buffer (what readFile returns) slice is a view, not a copy.
  if (info.bytes === 1) {
    new Uint8Array(out.buffer).set(raw.subarray(start, start + count));
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset + start, count * info.bytes);
  for (let i = 0; i < count; i++) out[i] = info.get(view, i * info.bytes);
  return out;
}

function checkEncodable(array: IdxArray): TypeInfo {
  const { dtype, shape, data } = array;
  const info = TYPES.find((t) => t.dtype === dtype);
  if (info === undefined) {
    throw new Error(`encodeIdx: unknown dtype; got ${String(dtype)}`);
  }
  if (!(data instanceof CONSTRUCTORS[dtype])) {
    throw new Error(`encodeIdx: data does not match dtype ${dtype}; got ${data.constructor.name}`);
  }
  if (shape.length === 0 || shape.length > IDX_MAX_RANK) {
    throw new Error(`encodeIdx: rank must be in 1..${IDX_MAX_RANK}; got ${shape.length}`);
  }
  if (!shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) {
    throw new Error(`encodeIdx: dimensions must be uint32 integers; got [${shape.join(", ")}]`);
  }
  if (elementCount(shape) !== data.length) {
    throw new Error(
      `encodeIdx: shape does not match data length; got shape [${shape.join(", ")}], ` +
        `data length ${data.length}`,
    );
  }
  return info;
}

/**
 * Encodes an array as an uncompressed IDX file: magic, big-endian uint32 dimensions,
 * big-endian data. Runs anywhere; `encodeIdxGzip` (Node) gzips it.
 *
 * @param array - `data.length` must equal the product of `shape`, and `data` must match `dtype`.
 * @returns the file bytes.
 * @example
 * ```ts
 * const bytes = encodeIdx({ dtype: "uint8", shape: [2], data: new Uint8Array([5, 0]) });
 * ```
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  if (arguments.length > 1) {
    // The old { gzip } option: silently writing raw bytes to a .gz name would be worse.
    throw new TypeError("encodeIdx: takes no options; gzip the result with encodeIdxGzip (Node)");
  }
  const info = checkEncodable(array);
  const { shape, data } = array;
  const headerBytes = 4 + 4 * shape.length;
  const out = new Uint8Array(headerBytes + data.length * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < data.length; i++) info.set(view, headerBytes + i * info.bytes, data[i]!);
  return out;
}
