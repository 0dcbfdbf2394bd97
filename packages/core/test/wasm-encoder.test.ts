// WebAssembly encoder: LEB128 values and the structure of an encoded module.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code, ModuleBuilder, ValType, sleb, uleb } from "../src/kernels/wasm/encoder.js";

const wasmApi = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
  .WebAssembly;

/** Decodes one LEB128 number from the start of `bytes`. */
function decode(bytes: number[], signed: boolean): number {
  let result = 0;
  let scale = 1;
  for (const byte of bytes) {
    result += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return signed && (byte & 0x40) !== 0 ? result - scale : result;
  }
  throw new Error("unterminated");
}

describe("LEB128", () => {
  it("encodes known unsigned values", () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(0x105)).toEqual([0x85, 0x02]); // f32x4.relaxed_madd
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it("encodes known signed values", () => {
    expect(sleb(0)).toEqual([0x00]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(sleb(-(2 ** 31))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it("rejects values outside the range", () => {
    expect(() => uleb(-1)).toThrow(/uleb: .*got -1/);
    expect(() => uleb(2 ** 32)).toThrow(RangeError);
    expect(() => sleb(2 ** 31)).toThrow(/sleb: .*got 2147483648/);
    expect(() => sleb(0.5)).toThrow(RangeError);
  });

  it("round-trips every u32 and i32", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
      expect(decode(uleb(v), false)).toBe(v);
    }));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
      expect(decode(sleb(v), true)).toBe(v);
    }));
  });
});

describe("ModuleBuilder", () => {
  it("writes a valid module with the header, a memory import and an export", () => {
    const code = new Code([ValType.i32, ValType.i32], [ValType.i32]);
    const sum = code.local(ValType.i32);
    code.get(0).get(1).i32Add().tee(sum).get(sum).i32Mul();
    const module = new ModuleBuilder({
      module: "env", name: "memory", initial: 1, maximum: 2, shared: false,
    });
    module.add(code, "square");
    const bytes = module.encode();
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(wasmApi.validate(bytes)).toBe(true);
  });

  it("rejects a body with a type error", () => {
    const code = new Code([ValType.f32], [ValType.i32]);
    code.get(0);
    const module = new ModuleBuilder({
      module: "env", name: "memory", initial: 1, maximum: 1, shared: false,
    });
    module.add(code, "bad");
    expect(wasmApi.validate(module.encode())).toBe(false);
  });
});
