// Tests for safetensors encode/decode: hand-built byte layouts, round trips and every rejection.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import type { SafeTensor } from "./safetensors.js";

// A file assembled by hand: 8-byte LE length, header text (padded with spaces), then data bytes.
function buildFile(header: string, data: Uint8Array = new Uint8Array(0), pad = 0): Uint8Array {
  const json = new TextEncoder().encode(header + " ".repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function f64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat64(8 * i, v, true));
  return out;
}

function u16Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(2 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(2 * i, v, true));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Header JSON for a list of [name, dtype, shape, begin, end] entries.
function header(entries: [string, string, number[], number, number][], extra = ""): string {
  const parts = entries.map(
    ([name, dtype, shape, b, e]) =>
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},` +
      `"data_offsets":[${b},${e}]}`,
  );
  return `{${[extra, ...parts].filter((p) => p !== "").join(",")}}`;
}

const f32 = (shape: number[], values: number[]): SafeTensor => ({
  dtype: "float32",
  shape,
  data: new Float32Array(values),
});
const f64 = (shape: number[], values: number[]): SafeTensor => ({
  dtype: "float64",
  shape,
  data: new Float64Array(values),
});

describe("encodeSafetensors byte layout", () => {
  it("writes the length, the space-padded header and little-endian floats exactly", () => {
    const bytes = encodeSafetensors({ w: f32([2], [1.5, -2]) });
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes
    const expected = concat(
      new Uint8Array([56, 0, 0, 0, 0, 0, 0, 0]), // 54 rounded up to a multiple of 8
      new TextEncoder().encode(json + "  "),
      new Uint8Array([0x00, 0x00, 0xc0, 0x3f]), // 1.5 = 0x3fc00000
      new Uint8Array([0x00, 0x00, 0x00, 0xc0]), // -2 = 0xc0000000
    );
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it("puts __metadata__ first, F64 before F32, then names in order, data starting at 8k", () => {
    const bytes = encodeSafetensors(
      { b: f32([1], [1]), a: f32([], [2]), c: f64([1], [0.1]) },
      { format: "pt" },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[],"data_offsets":[8,12]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}',
    );
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const data = new DataView(bytes.buffer, 8 + n);
    expect(data.byteLength).toBe(16);
    expect(data.getFloat64(0, true)).toBe(0.1);
    expect(data.getFloat32(8, true)).toBe(2);
    expect(data.getFloat32(12, true)).toBe(1);
  });

  it("writes an empty file as an empty header with no data", () => {
    const bytes = encodeSafetensors({});
    expect(Array.from(bytes)).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
    expect(decodeSafetensors(bytes)).toEqual({ tensors: {}, metadata: {} });
  });

  it("rejects inconsistent tensors and a reserved name", () => {
    expect(() => encodeSafetensors({ w: f32([2, 3], [1, 2]) })).toThrow(
      /encodeSafetensors: tensor "w": shape \[2, 3\] has 6 elements; got data of length 2/,
    );
    const mixed = { dtype: "float64", shape: [1], data: new Float32Array(1) } as SafeTensor;
    expect(() => encodeSafetensors({ w: mixed })).toThrow(/dtype "float64" with Float32Array/);
    expect(() => encodeSafetensors({ w: f32([-1], []) })).toThrow(/got \[-1\]/);
    expect(() => encodeSafetensors({ __metadata__: f32([], [1]) })).toThrow(/reserved/);
    const bad = { k: 3 } as unknown as Record<string, string>;
    expect(() => encodeSafetensors({}, bad)).toThrow(/value for "k" must be a string; got 3/);
  });

  it("writes int64 as little-endian I64, only for integers a double holds exactly", () => {
    const count: SafeTensor = { dtype: "int64", shape: [], data: new Float64Array([258]) };
    const bytes = encodeSafetensors({ n: count });
    const text = '{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}';
    const padded = Math.ceil(text.length / 8) * 8;
    expect(Array.from(bytes.subarray(8 + padded))).toEqual([2, 1, 0, 0, 0, 0, 0, 0]);
    const int64 = (values: number[]): SafeTensor =>
      ({ dtype: "int64", shape: [values.length], data: Float64Array.from(values) });
    expect(decodeSafetensors(encodeSafetensors({ n: int64([-3, 2 ** 53 - 1]) })).tensors.n)
      .toEqual(int64([-3, 2 ** 53 - 1]));
    expect(() => encodeSafetensors({ n: int64([1, 2.5]) })).toThrow(
      'encodeSafetensors: tensor "n": int64 values must be integers within ±(2^53 − 1); got ' +
        "2.5 at index 1");
    expect(() => encodeSafetensors({ n: int64([2 ** 53]) })).toThrow(/got 9007199254740992 at/);
    expect(() => encodeSafetensors({ n: int64([NaN]) })).toThrow(/got NaN at index 0/);
    const wrong = { dtype: "int64", shape: [1], data: new Float32Array(1) } as SafeTensor;
    expect(() => encodeSafetensors({ n: wrong })).toThrow(/dtype "int64" with Float32Array/);
  });
});

describe("decodeSafetensors on hand-built files", () => {
  it("reads F32 and F64 tensors, padding and metadata", () => {
    const file = buildFile(
      header(
        [
          ["layer.weight", "F32", [2, 2], 0, 16],
          ["layer.bias", "F64", [2], 16, 32],
          ["scale", "F32", [], 32, 36],
        ],
        '"__metadata__":{"format":"pt","epoch":"3"}',
      ),
      concat(f32Bytes([1, -2.5, 0.25, 3]), f64Bytes([0.1, -1e300]), f32Bytes([7])),
      5,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: "pt", epoch: "3" });
    expect(Object.keys(tensors).sort()).toEqual(["layer.bias", "layer.weight", "scale"]);
    expect(tensors["layer.weight"]).toEqual(f32([2, 2], [1, -2.5, 0.25, 3]));
    expect(tensors["layer.bias"]).toEqual(f64([2], [0.1, -1e300]));
    expect(tensors["scale"]).toEqual(f32([], [7]));
    expect(tensors["layer.bias"].data).toBeInstanceOf(Float64Array);
  });

  it("accepts tensors listed out of offset order and empty tensors anywhere", () => {
    const file = buildFile(
      header([
        ["z", "F32", [1], 0, 4],
        ["a", "F32", [1], 4, 8],
        ["empty", "F32", [0, 3], 4, 4],
      ]),
      f32Bytes([1, 2]),
    );
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors["z"].data)).toEqual([1]);
    expect(Array.from(tensors["a"].data)).toEqual([2]);
    expect(tensors["empty"]).toEqual(f32([0, 3], []));
  });

  it("widens F16 and BF16 exactly to float32", () => {
    // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), -0, inf, nan
    const half = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00];
    // BF16: 1, -3.5, 1/3 rounded to bf16 (0x3eab = 0.333984375)
    const bf16 = [0x3f80, 0xc060, 0x3eab];
    const file = buildFile(
      header([
        ["h", "F16", [7], 0, 14],
        ["b", "BF16", [3], 14, 20],
      ]),
      u16Bytes([...half, ...bf16]),
    );
    const { tensors } = decodeSafetensors(file);
    expect(tensors["h"].dtype).toBe("float32");
    expect(Array.from(tensors["h"].data)).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity, NaN]);
    expect(Object.is(tensors["h"].data[4], -0)).toBe(true);
    expect(tensors["b"]).toEqual(f32([3], [1, -3.5, 0.333984375]));
  });

  it("returns aligned copies that do not alias the file buffer", () => {
    // 1 byte of padding before the file puts the data at an odd offset of the backing buffer
    const inner = buildFile(header([["w", "F32", [2], 0, 8]]), f32Bytes([1, 2]), 2);
    const backing = new Uint8Array(inner.length + 1);
    backing.set(inner, 1);
    const { tensors } = decodeSafetensors(backing.subarray(1));
    const w = tensors["w"].data;
    expect(w.byteOffset).toBe(0);
    expect(w.buffer).not.toBe(backing.buffer);
    backing.fill(0);
    expect(Array.from(w)).toEqual([1, 2]);
  });

  it("keeps a tensor named __proto__ as a plain entry", () => {
    const bytes = encodeSafetensors({ ["__proto__"]: f32([1], [4]) } as Record<string, SafeTensor>);
    const { tensors } = decodeSafetensors(bytes);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
  });
});

describe("decodeSafetensors rejects corrupt files", () => {
  const ok = (h: string, data: Uint8Array) => () => decodeSafetensors(buildFile(h, data));
  const w8 = header([["w", "F32", [2], 0, 8]]);

  it("rejects a file shorter than 8 bytes", () => {
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow(
      /decodeSafetensors: file shorter than the 8-byte header length; got 5 bytes/,
    );
  });

  it("rejects a header length beyond the file, including huge uint64 values", () => {
    const file = buildFile(w8, f32Bytes([1, 2]));
    new DataView(file.buffer).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(file)).toThrow(
      /header length runs past the end of the file; got 1000 with 62 bytes/,
    );
    new DataView(file.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(() => decodeSafetensors(file)).toThrow(/got 18446744073709551615 with 62 bytes/);
  });

  it("rejects a header larger than maxHeaderBytes", () => {
    const file = buildFile(w8, f32Bytes([1, 2]));
    expect(() => decodeSafetensors(file, { maxHeaderBytes: 16 })).toThrow(
      /header length exceeds maxHeaderBytes 16; got 54/,
    );
    expect(() => decodeSafetensors(file, { maxHeaderBytes: 0 })).toThrow(RangeError);
  });

  it("rejects invalid UTF-8 and invalid JSON", () => {
    const file = buildFile('{"w":1}');
    file[9] = 0xff;
    expect(() => decodeSafetensors(file)).toThrow(/header is not valid UTF-8; got 7 header bytes/);
    expect(ok('{"w":', new Uint8Array(0))).toThrow(/header is not valid JSON/);
    expect(ok("", new Uint8Array(0))).toThrow(/header is not valid JSON/);
  });

  it("rejects a header that is not an object, and entries that are not objects", () => {
    expect(ok("[]", new Uint8Array(0))).toThrow(/header must be a JSON object; got \[\]/);
    expect(ok("null", new Uint8Array(0))).toThrow(/header must be a JSON object; got null/);
    expect(ok('{"w":[1]}', new Uint8Array(0))).toThrow(
      /tensor "w": entry must be an object; got \[1\]/,
    );
  });

  it("rejects unknown and unsupported dtypes, naming the tensor", () => {
    expect(ok(header([["w", "F33", [2], 0, 8]]), f32Bytes([1, 2]))).toThrow(
      /tensor "w": unknown dtype; got "F33"/,
    );
    expect(ok(header([["ids", "U64", [1], 0, 8]]), new Uint8Array(8))).toThrow(
      /tensor "ids": dtype not supported \(expected F32, F64, F16, BF16, I64\); got U64/,
    );
  });

  it("rejects bad shapes and bad data_offsets", () => {
    const data = f32Bytes([1, 2]);
    expect(ok(header([["w", "F32", [-2], 0, 8]]), data)).toThrow(/tensor "w": shape.*got \[-2\]/);
    expect(ok(header([["w", "F32", [1.5], 0, 8]]), data)).toThrow(/got \[1.5\]/);
    const noShape = '{"w":{"dtype":"F32","data_offsets":[0,8]}}';
    expect(ok(noShape, data)).toThrow(/tensor "w": shape must list.*got undefined/);
    const threeOffsets = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}';
    expect(ok(threeOffsets, data)).toThrow(/data_offsets must be \[begin, end\].*got \[0,4,8\]/);
    expect(ok(header([["w", "F32", [0], 8, 0]]), data)).toThrow(/begin > end; got \[8, 0\]/);
    expect(ok(header([["w", "F32", [4], 0, 16]]), data)).toThrow(
      /tensor "w": data_offsets \[0, 16\] run past the data region; got 8 bytes/,
    );
  });

  it("rejects a shape whose byte size disagrees with data_offsets", () => {
    const h = header([["layers.0.weight", "F32", [784, 128], 0, 1000]]);
    expect(ok(h, new Uint8Array(1000))).toThrow(
      'decodeSafetensors: tensor "layers.0.weight": shape [784, 128] needs 401408 bytes (F32) ' +
        "but data_offsets span 1000; got data_offsets [0, 1000]",
    );
    expect(ok(header([["s", "F64", [], 0, 4]]), new Uint8Array(4))).toThrow(
      /tensor "s": shape \[\] needs 8 bytes \(F64\) but data_offsets span 4/,
    );
  });

  it("rejects overlapping tensors", () => {
    const h = header([
      ["a", "F32", [2], 0, 8],
      ["b", "F32", [2], 4, 12],
    ]);
    expect(ok(h, f32Bytes([1, 2, 3]))).toThrow(
      /tensor "b" overlaps tensor "a"; got data_offsets \[4, 12\] and \[0, 8\]/,
    );
    const same = header([
      ["a", "F32", [1], 0, 4],
      ["b", "F32", [1], 0, 4],
    ]);
    expect(ok(same, f32Bytes([1]))).toThrow(/overlaps/);
  });

  it("rejects holes at the start and between tensors", () => {
    const start = header([["a", "F32", [1], 4, 8]]);
    expect(ok(start, f32Bytes([1, 2]))).toThrow(
      /hole of 4 bytes before tensor "a" after the start of the data region/,
    );
    const between = header([
      ["a", "F32", [1], 0, 4],
      ["b", "F32", [1], 8, 12],
    ]);
    expect(ok(between, f32Bytes([1, 2, 3]))).toThrow(
      'hole of 4 bytes before tensor "b" after tensor "a"; ' +
        "got data_offsets [8, 12], expected begin 4",
    );
  });

  it("rejects trailing bytes after the last tensor", () => {
    expect(ok(w8, f32Bytes([1, 2, 3]))).toThrow(
      "4 trailing bytes after the last tensor; " +
        "got a data region of 12 bytes with tensors covering 8",
    );
    expect(ok("{}", new Uint8Array(3))).toThrow(/3 trailing bytes/);
  });

  it("rejects __metadata__ that is not an object of strings", () => {
    const data = f32Bytes([1, 2]);
    const num = header([["w", "F32", [2], 0, 8]], '"__metadata__":{"epoch":3}');
    expect(ok(num, data)).toThrow(/__metadata__ value for "epoch" must be a string; got 3/);
    const arr = header([["w", "F32", [2], 0, 8]], '"__metadata__":["pt"]');
    expect(ok(arr, data)).toThrow(/__metadata__ must be an object of strings; got \["pt"\]/);
  });
});

describe("round trip", () => {
  it("round-trips float32, float64, scalars, empty tensors and metadata", () => {
    const tensors: Record<string, SafeTensor> = {
      "dense.weight": f32([2, 3], [1, -2, 3.5, 0, -0, 1e-30]),
      "dense.bias": f64([3], [0.1, Math.PI, -1e300]),
      step: f64([], [42]),
      empty: f32([0], []),
      "empty.2d": f64([4, 0], []),
      "ünïcode ✓": f32([1, 1, 1], [Infinity]),
    };
    const metadata = { format: "pt", note: 'quotes " and \\ and ✓' };
    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(decoded.tensors).toEqual(tensors);
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.is(decoded.tensors["dense.weight"].data[4], -0)).toBe(true);
  });

  it("round-trips random shapes and values (property)", () => {
    const dims = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 });
    const tensor = fc.tuple(dims, fc.boolean()).chain(([shape, single]) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const values = single
        ? fc.float32Array({ minLength: n, maxLength: n })
        : fc.float64Array({ minLength: n, maxLength: n });
      return values.map((data): SafeTensor => ({
        dtype: data instanceof Float32Array ? "float32" : "float64",
        shape,
        data,
      }));
    });
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== "__metadata__");
    const model = fc.dictionary(name, tensor, { maxKeys: 6 });
    const metadata = fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), {
      nil: undefined,
    });
    fc.assert(
      fc.property(model, metadata, (tensors, meta) => {
        const bytes = encodeSafetensors(tensors, meta);
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect((8 + n) % 8).toBe(0);
        const decoded = decodeSafetensors(bytes);
        expect(decoded.metadata).toEqual(meta ?? {});
        expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [key, t] of Object.entries(tensors)) {
          const d = decoded.tensors[key];
          expect(d.dtype).toBe(t.dtype);
          expect(d.shape).toEqual(t.shape);
          expect(d.data.constructor).toBe(t.data.constructor);
          // Object.is per element: NaN equals NaN, -0 differs from 0
          expect(Array.from(d.data).every((v, i) => Object.is(v, t.data[i]))).toBe(true);
        }
      }),
    );
  });
});
