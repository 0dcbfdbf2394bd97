// Unit tests for parseIdx/encodeIdx on small IDX buffers built by hand: types, gzip, corruption.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeIdx, encodeIdxGzip } from "./idx-gzip.js";
import { IDX_DEFAULT_MAX_BYTES, encodeIdx, isGzip, parseIdx, readIdxHeader } from "./idx.js";
import type { IdxArray, IdxDtype } from "./idx.js";

/** A header: zero bytes, type byte, rank, big-endian uint32 dimensions. */
function header(type: number, dims: number[]): number[] {
  const out = [0, 0, type, dims.length];
  for (const d of dims) out.push((d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
  return out;
}

const samples: IdxArray[] = [
  { dtype: "uint8", shape: [2, 3], data: new Uint8Array([0, 1, 127, 128, 254, 255]) },
  { dtype: "int8", shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
  { dtype: "int16", shape: [2, 2], data: new Int16Array([-32768, -2, 258, 32767]) },
  { dtype: "int32", shape: [3], data: new Int32Array([-2147483648, -1, 2147483647]) },
  { dtype: "float32", shape: [1, 3], data: new Float32Array([-1.5, 3.25, Math.fround(0.1)]) },
  { dtype: "float64", shape: [2, 1, 2], data: new Float64Array([-0.1, 1e300, -0, 5e-324]) },
];

describe("parseIdx round-trip", () => {
  for (const sample of samples) {
    it(`${sample.dtype} ${sample.shape.join("×")} raw and gzip`, async () => {
      for (const gzip of [false, true]) {
        const bytes = gzip ? encodeIdxGzip(sample) : encodeIdx(sample);
        expect(isGzip(bytes)).toBe(gzip);
        const parsed = gzip ? await decodeIdx(bytes) : parseIdx(bytes);
        expect(parsed.dtype).toBe(sample.dtype);
        expect(parsed.shape).toEqual(sample.shape);
        expect(parsed.data.constructor).toBe(sample.data.constructor);
        expect(Array.from(parsed.data)).toEqual(Array.from(sample.data));
      }
    });
  }

  it("keeps -0 in float64", () => {
    const parsed = parseIdx(encodeIdx(samples[5]!));
    expect(Object.is(parsed.data[2], -0)).toBe(true);
  });

  it("property: random dtype, rank 1–3 shape (dims 0–5) and data survive encode/parse", () => {
    const typed: Record<IdxDtype, (n: number) => fc.Arbitrary<IdxArray["data"]>> = {
      uint8: (n) => fc.uint8Array({ minLength: n, maxLength: n }),
      int8: (n) => fc.int8Array({ minLength: n, maxLength: n }),
      int16: (n) => fc.int16Array({ minLength: n, maxLength: n }),
      int32: (n) => fc.int32Array({ minLength: n, maxLength: n }),
      float32: (n) => fc.float32Array({ minLength: n, maxLength: n }),
      float64: (n) => fc.float64Array({ minLength: n, maxLength: n }),
    };
    const dtypes = Object.keys(typed) as IdxDtype[];
    const arrays = fc
      .tuple(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 5 }), {
        minLength: 1, maxLength: 3,
      }))
      .chain(([dtype, shape]) =>
        typed[dtype](shape.reduce((a, b) => a * b, 1)).map(
          (data) => ({ dtype, shape, data }) as IdxArray,
        ),
      );
    fc.assert(
      fc.property(arrays, (array) => {
        const parsed = parseIdx(encodeIdx(array));
        expect(parsed.dtype).toBe(array.dtype);
        expect(parsed.shape).toEqual(array.shape);
        expect(parsed.data).toEqual(array.data);
      }),
    );
  });
});

describe("big-endian byte order against hand-written bytes", () => {
  it("int16 [2]: -2, 258", () => {
    const bytes = new Uint8Array([...header(0x0b, [2]), 0xff, 0xfe, 0x01, 0x02]);
    const array: IdxArray = { dtype: "int16", shape: [2], data: new Int16Array([-2, 258]) };
    expect(encodeIdx(array)).toEqual(bytes);
    expect(Array.from(parseIdx(bytes).data)).toEqual([-2, 258]);
  });

  it("float32 [2]: 1.5, -2", () => {
    const bytes = new Uint8Array([...header(0x0d, [2]), 0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]);
    const array: IdxArray = { dtype: "float32", shape: [2], data: new Float32Array([1.5, -2]) };
    expect(encodeIdx(array)).toEqual(bytes);
    expect(Array.from(parseIdx(bytes).data)).toEqual([1.5, -2]);
  });

  it("int32 and float64 headers and data", () => {
    const int32 = new Uint8Array([...header(0x0c, [1]), 0xff, 0xff, 0xff, 0xfe]);
    expect(Array.from(parseIdx(int32).data)).toEqual([-2]);
    const float64 = new Uint8Array([...header(0x0e, [1]), 0xc0, 0x08, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(parseIdx(float64).data)).toEqual([-3]);
  });

  it("uint8 rank-3 header like MNIST images, e.g. 2×2×2", () => {
    const bytes = new Uint8Array([...header(0x08, [2, 2, 2]), 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(bytes.slice(0, 8)).toEqual(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2]));
    const parsed = parseIdx(bytes);
    expect(parsed.shape).toEqual([2, 2, 2]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("reads from an unaligned view of a larger buffer and does not alias it", () => {
    const file = [...header(0x0b, [2]), 0x80, 0x00, 0x7f, 0xff];
    const big = new Uint8Array([9, ...file, 9]);
    const view = big.subarray(1, 1 + file.length);
    const parsed = parseIdx(view);
    expect(Array.from(parsed.data)).toEqual([-32768, 32767]);
    const bytes = new Uint8Array([...header(0x08, [2]), 3, 4]);
    const u8 = parseIdx(bytes);
    bytes[8] = 99;
    expect(Array.from(u8.data)).toEqual([3, 4]);
  });

  it("returns a plain Uint8Array copy for a Node Buffer input", () => {
    const buffer = Buffer.from([...header(0x08, [2]), 3, 4]);
    const parsed = parseIdx(buffer);
    buffer[8] = 99;
    expect(parsed.data.constructor).toBe(Uint8Array);
    expect(Array.from(parsed.data)).toEqual([3, 4]);
  });

  it("accepts a zero dimension as an empty array", () => {
    const parsed = parseIdx(new Uint8Array(header(0x08, [0, 28, 28])));
    expect(parsed.shape).toEqual([0, 28, 28]);
    expect(parsed.data.length).toBe(0);
  });
});

describe("gzip in the pure parser", () => {
  it("parseIdx refuses gzip bytes, pointing to decodeIdx; encodeIdx refuses options", () => {
    const gz = encodeIdxGzip({ dtype: "uint8", shape: [1], data: new Uint8Array([7]) });
    expect(() => parseIdx(gz, "x.gz")).toThrow(
      "parseIdx: x.gz: bad magic 0x1f8b0800; expected 0x000008xx..0x00000exx " +
        "(gzip data: decompress it first, e.g. with decodeIdx)",
    );
    const array: IdxArray = { dtype: "uint8", shape: [1], data: new Uint8Array([7]) };
    expect(() => (encodeIdx as (...args: unknown[]) => Uint8Array)(array, { gzip: true }))
      .toThrow("encodeIdx: takes no options; gzip the result with encodeIdxGzip (Node)");
  });
});

describe("limits", () => {
  it("refuses a header declaring more than maxBytes before allocating; maxBytes raises it", () => {
    const bytes = new Uint8Array([...header(0x0b, [3]), 0, 1, 0, 2, 0, 3]);
    expect(() => parseIdx(bytes, "f", { maxBytes: 5 })).toThrow(
      "parseIdx: f: dimensions 3 declare 6 bytes of int16, more than maxBytes 5; " +
        "pass { maxBytes } to raise the limit",
    );
    expect(Array.from(parseIdx(bytes, "f", { maxBytes: 6 }).data)).toEqual([1, 2, 3]);
    const huge = new Uint8Array(header(0x08, [60000, 100, 100])); // 600 MB declared, 16 bytes
    expect(() => parseIdx(huge, "f")).toThrow(
      `parseIdx: f: dimensions 60000×100×100 declare 600000000 bytes of uint8, more than ` +
        `maxBytes ${IDX_DEFAULT_MAX_BYTES}; pass { maxBytes } to raise the limit`,
    );
    expect(readIdxHeader(huge, "f", { maxBytes: 6e8 })).toEqual({
      dtype: "uint8", shape: [60000, 100, 100], count: 6e8, headerBytes: 16, totalBytes: 600000016,
    });
  });

  it("checks the options", () => {
    const bytes = new Uint8Array([...header(0x08, [1]), 1]);
    expect(() => parseIdx(bytes, "f", { maxBytes: 0 }))
      .toThrow("parseIdx: maxBytes must be a positive integer; got 0");
    expect(() => parseIdx(bytes, "f", { maxbytes: 9 } as never))
      .toThrow('parseIdx: unknown option "maxbytes"; did you mean "maxBytes"? ' +
        "Valid options: maxBytes");
  });
});

describe("parseIdx corruption errors", () => {
  const parse = (bytes: number[], name?: string) => () => parseIdx(new Uint8Array(bytes), name);

  it("bad magic: non-zero leading bytes", () => {
    expect(parse([0x01, 0x00, 0x08, 0x03, 0, 0, 0, 0], "train-images-idx3-ubyte")).toThrow(
      "parseIdx: train-images-idx3-ubyte: bad magic 0x01000803; expected 0x000008xx..0x00000exx",
    );
  });

  it("bad magic hints at a byte-swapped header and at HTML", () => {
    expect(parse([0x03, 0x08, 0, 0, 0, 0, 0, 0])).toThrow(
      /bad magic 0x03080000; .*byte-swapped/,
    );
    const html = Array.from(new TextEncoder().encode("<!DOCTYPE html>"));
    expect(parse(html)).toThrow(/bad magic 0x3c21444f; .*HTML/);
  });

  it("unknown type byte", () => {
    expect(parse([0, 0, 0x0a, 0x03, 0, 0, 0, 0], "f")).toThrow(
      /^parseIdx: f: bad magic 0x00000a03: unknown type byte 0x0a; .*0x08 \(uint8\).*0x0e/,
    );
    expect(parse([0, 0, 0x0f, 1, 0, 0, 0, 0])).toThrow(/unknown type byte 0x0f/);
  });

  it("rank 0 and absurd rank", () => {
    expect(parse([0, 0, 8, 0])).toThrow("parseIdx: idx: rank must be in 1..16; got 0");
    const rank200 = [0, 0, 8, 200, ...Array(800).fill(0)];
    expect(parse(rank200)).toThrow("parseIdx: idx: rank must be in 1..16; got 200");
  });

  it("truncated header", () => {
    expect(parse([0, 0, 8])).toThrow(
      "parseIdx: idx: truncated header: need 4 bytes for the magic, file has 3",
    );
    expect(parse([0, 0, 8, 3, 0, 0, 0, 1, 0, 0])).toThrow(
      "parseIdx: idx: truncated header: rank 3 needs 16 header bytes, file has 10",
    );
  });

  it("truncated data with the exact numbers", () => {
    const bytes = [...header(0x08, [60000, 28, 28]), ...Array(984).fill(0)];
    expect(bytes.length).toBe(1000);
    expect(parse(bytes, "train-images-idx3-ubyte")).toThrow(
      "parseIdx: train-images-idx3-ubyte: truncated: header says 60000×28×28 (47040016 bytes), " +
        "file has 1000",
    );
    // float32 2×3: 12 header bytes + 24 data bytes, one byte missing
    expect(parse([...header(0x0d, [2, 3]), ...Array(23).fill(0)])).toThrow(
      "parseIdx: idx: truncated: header says 2×3 (36 bytes), file has 35",
    );
  });

  it("trailing bytes after the data", () => {
    expect(parse([...header(0x08, [2]), 1, 2, 0, 0, 0], "labels")).toThrow(
      "parseIdx: labels: 3 trailing bytes after the data: header says 2 (10 bytes), file has 13",
    );
  });

  it("absurd dimensions are rejected before allocating", () => {
    expect(parse(header(0x08, [65536, 65536]))).toThrow(
      "parseIdx: idx: dimensions 65536×65536 exceed 2147483648 elements",
    );
    const huge = 0xffffffff;
    expect(parse(header(0x0e, [huge, huge, huge, huge]))).toThrow(
      /dimensions 4294967295×4294967295×4294967295×4294967295 exceed/,
    );
  });
});

describe("encodeIdx validation", () => {
  it("rejects a shape that does not match the data length", () => {
    const array: IdxArray = { dtype: "uint8", shape: [2, 3], data: new Uint8Array(5) };
    expect(() => encodeIdx(array)).toThrow(
      "encodeIdx: shape does not match data length; got shape [2, 3], data length 5",
    );
  });

  it("rejects data of the wrong typed-array kind, rank 0 and non-integer dimensions", () => {
    const wrong = { dtype: "int16", shape: [2], data: new Float32Array(2) } as unknown as IdxArray;
    expect(() => encodeIdx(wrong)).toThrow(
      "encodeIdx: data does not match dtype int16; got Float32Array",
    );
    expect(() => encodeIdx({ dtype: "uint8", shape: [], data: new Uint8Array(1) })).toThrow(
      "encodeIdx: rank must be in 1..16; got 0",
    );
    expect(() => encodeIdx({ dtype: "uint8", shape: [1.5], data: new Uint8Array(1) })).toThrow(
      "encodeIdx: dimensions must be uint32 integers; got [1.5]",
    );
  });
});
