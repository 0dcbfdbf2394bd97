// WebAssembly encoder: LEB128 values, the structure of an encoded module, every instruction's
// bytes and the generated kernel module's bytes (golden, see below).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cnnExtension } from "../src/kernels/wasm/conv-module.js";
import { Code, ModuleBuilder, ValType, sleb, uleb } from "../src/kernels/wasm/encoder.js";
import { registerExtension } from "../src/kernels/wasm/extensions.js";
import { type KernelConfig, kernelModuleBytes } from "../src/kernels/wasm/kernel-module.js";

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

// Golden bytes, recorded from the encoder before it was made table-driven (one method per
// instruction): every instruction and every generated module must stay byte for byte the same.
// A deliberate change to a generator changes these hashes: record the new ones (print
// `moduleHash(...)` for each case) and say in the commit why the module changed.
describe("Code's instruction methods", () => {
  // [method, arguments, bytes in hex]
  const cases: Array<[string, unknown[], string]> = [
    ["br", [300], "0cac02"], ["brIf", [2], "0d02"], ["call", [129], "108101"], ["drop", [], "1a"],
    ["select", [], "1b"], ["get", [5], "2005"], ["set", [200], "21c801"], ["tee", [7], "2207"],
    ["i32Load", [1000], "2802e807"], ["f32Load", [1000], "2a02e807"],
    ["f32Store", [1000], "3802e807"], ["i32Store", [1000], "3602e807"],
    ["i32", [-123456], "41c0bb78"], ["i32Eqz", [], "45"], ["i32Eq", [], "46"], ["i32Ne", [], "47"],
    ["i32LtS", [], "48"], ["i32GtS", [], "4a"], ["i32LeS", [], "4c"], ["i32GeS", [], "4e"],
    ["i32GeU", [], "4f"], ["i32LtU", [], "49"], ["i32Add", [], "6a"], ["i32Sub", [], "6b"],
    ["i32Mul", [], "6c"], ["i32DivU", [], "6e"], ["i32RemU", [], "70"], ["i32And", [], "71"],
    ["i32Ctz", [], "68"], ["i32Or", [], "72"], ["i32Shl", [], "74"], ["i32ShrU", [], "76"],
    ["f32", [1.5], "430000c03f"], ["f64", [-0.1], "449a9999999999b9bf"], ["f32Add", [], "92"],
    ["f32Lt", [], "5d"], ["f32ConvertI32S", [], "b2"], ["i32TruncF32S", [], "a8"],
    ["f32Gt", [], "5e"], ["f32Le", [], "5f"], ["f32Ne", [], "5c"], ["f64Mul", [], "a2"],
    ["f64PromoteF32", [], "bb"], ["f32DemoteF64", [], "b6"], ["memoryFill", [], "fc0b00"],
    ["memoryCopy", [], "fc0a0000"], ["v128Load", [1000], "fd0004e807"],
    ["v128Load32Splat", [1000], "fd0902e807"], ["v128Store", [1000], "fd0b04e807"],
    ["v128Zero", [], "fd0c00000000000000000000000000000000"],
    ["f32x4Const", [[1, -2, 0.5, 3]], "fd0c0000803f000000c00000003f00004040"],
    ["i8x16Shuffle", [[0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]],
      "fd0d00010203040506071011121314151617"],
    ["f32x4Splat", [], "fd13"], ["f32x4ExtractLane", [3], "fd1f03"],
    ["i32x4ExtractLane", [2], "fd1b02"], ["v128And", [], "fd4e"], ["f32x4Gt", [], "fd44"],
    ["f32x4Le", [], "fd45"], ["f32x4Ne", [], "fd42"], ["f32x4Eq", [], "fd41"],
    ["v128AnyTrue", [], "fd53"], ["v128Or", [], "fd50"], ["f64x2Splat", [], "fd14"],
    ["f64x2Add", [], "fdf001"], ["f64x2Sub", [], "fdf101"], ["f64x2Div", [], "fdf301"],
    ["f64x2Sqrt", [], "fdef01"], ["f64x2Mul", [], "fdf201"], ["f64x2Abs", [], "fdec01"],
    ["f64x2Neg", [], "fded01"], ["f64x2Max", [], "fdf501"], ["f64x2Nearest", [], "fd9401"],
    ["f64x2Gt", [], "fd4a"], ["f64x2Ge", [], "fd4c"], ["i32x4TruncSatF64x2SZero", [], "fdfc01"],
    ["i32x4Splat", [], "fd11"], ["i32x4Add", [], "fdae01"], ["i32x4Sub", [], "fdb101"],
    ["i32x4Bitmask", [], "fda401"], ["i64x2ExtendLowI32x4S", [], "fdc701"],
    ["i64x2Shl", [], "fdcb01"], ["f64x2PromoteLowF32x4", [], "fd5f"],
    ["f32x4DemoteF64x2Zero", [], "fd5e"], ["v128Bitselect", [], "fd52"], ["f32x4Add", [], "fde401"],
    ["f32x4Sub", [], "fde501"], ["f32x4Mul", [], "fde601"], ["f32x4RelaxedMadd", [], "fd8502"],
  ];

  it("encode every instruction as the one-method-each encoder did", () => {
    const emit = Code.prototype as unknown as Record<string, (...args: unknown[]) => Code>;
    for (const [name, args, hex] of cases) {
      const code = new Code([]);
      expect(emit[name].apply(code, args), name).toBe(code);
      expect(Buffer.from(code.bytes).toString("hex"), name).toBe(hex);
    }
    // Offsets default to 0.
    expect(new Code([]).f32Load().v128Store().bytes).toEqual([0x2a, 2, 0, 0xfd, 0x0b, 4, 0]);
  });
});

/** The SHA-256 of the kernel module for `config`, and its length. */
function moduleHash(config: KernelConfig): [number, string] {
  const bytes = kernelModuleBytes(config);
  return [bytes.length, createHash("sha256").update(bytes).digest("hex")];
}

describe("the generated kernel module", () => {
  it("is byte-identical to the recorded one for the default configurations", () => {
    // [with the CNN extension, fma (mr 6, else 5), shared memory, zero skipping, bytes, SHA-256]
    const recorded: Array<[boolean, boolean, boolean, boolean, number, string]> = [
    [false, false, false, true, 21284,
      "54818a2181418323324fd14dcd43e49f21bf6d82c6ebc67c2eafe44cf8bb1436"],
    [false, false, false, false, 19142,
      "2e5aff87480b872874d307549a878ba3a73ea74d02073aa70047cc1b39311d3b"],
    [false, false, true, true, 21284,
      "b5a9cba8ad6b6c77ce007ad6eb15ed995748b51b5185c5b4e57dd48c04ae6fb9"],
    [false, false, true, false, 19142,
      "fe3571072736fa5351b12096da6f6be496b2636b21642d67efa1ed74a6121d8a"],
    [false, true, false, true, 22235,
      "5b5c0538a08f1b95de366d8c5c045b10b53ae4dc08ef12ab823838f8a9152f9e"],
    [false, true, false, false, 19557,
      "80b4ec274667348cb2eef2a589f2b2adc5bae3829ab246fe93c4cef59c78667b"],
    [false, true, true, true, 22235,
      "21cf7bdc205132bf055c9443b4ed79866be7089f463ac6bf3f2f7710f22a3105"],
    [false, true, true, false, 19557,
      "697c1eaab1f7434bbbc798d8931d00e301fd161eb5187855bee02b52a2a64bda"],
    [true, false, false, true, 78605,
      "d940075b4789345235ef66eb9953f4632d7e413da490da2d225669fd18dee8e6"],
    [true, false, false, false, 76463,
      "774448dcada383fdf4915990ad583899b91f8f623219b355decc814b662280b7"],
    [true, false, true, true, 78605,
      "2d00fc6f16abc9a245ce8efe19a87728fb83cb224c854e6cee107fca8760bf6b"],
    [true, false, true, false, 76463,
      "0f3c18bc22957da7b1faf7b2b14f9c932716cf8fcf5fd4124f7695caf3169717"],
    [true, true, false, true, 79376,
      "26040daeac33210fa8440327efa0cbc747e2e0ce9eb970629134bd7a33751415"],
    [true, true, false, false, 76698,
      "74212cd60369295e3de01f1f8980cefca76246e6b087d8495b60afb37bcf6683"],
    [true, true, true, true, 79376,
      "5b079f464e8507de7951dd77ce9c7371b2ac984a4df069dc6a12c28386dc655a"],
    [true, true, true, false, 76698,
      "46ca37f06df4012c0acb77b25bfd5898fa0cd49ca911647ec7c161118a94808e"],
    ];
    for (const [cnn, fma, shared, skipZeros, length, hash] of recorded) {
      if (cnn) registerExtension(cnnExtension);
      const config: KernelConfig = {
        mr: fma ? 6 : 5, vectors: 2, unroll: 1, splat: "row", fma, shared, skipZeros,
      };
      expect(moduleHash(config), JSON.stringify({ cnn, ...config })).toEqual([length, hash]);
    }
    // Other kernel shapes (with the CNN extension): [mr, vectors, unroll, splat, fma, bytes, hash]
    const shapes: Array<[number, number, number, "row" | "each", boolean, number, string]> = [
    [4, 1, 2, "each", false, 76639,
      "dd5b05525d2d8e86d59f956f80a13559b5a85596e1e8759ec9d06b61c2110e4c"],
    [4, 1, 2, "each", true, 76105,
      "073ffe82427d2d2ffaee9a37bac6c2570601f72f8216663d6fe661a2d4e2d00d"],
    [6, 3, 4, "each", false, 87483,
      "c5d7b28424879b95182c4b4db932abd1ae76783a2becde6f60d6c3963d69a3c8"],
    [6, 3, 4, "each", true, 85935,
      "199dd4b5cefb7de773f8f7304c3d6caa10315377ef47fcbd80da0888d3aa51a7"],
    [3, 2, 1, "row", false, 75919,
      "60f71ed3de4ae5a0783e5688f6e21a9f8b8275bd8d7eca3a4e3884aa85353b2f"],
    [3, 2, 1, "row", true, 75433,
      "812220541df29595eb60ac6b49e458139a509b32cff06c71f96a161519f12c99"],
    ];
    for (const [mr, vectors, unroll, splat, fma, length, hash] of shapes) {
      const config: KernelConfig = {
        mr, vectors, unroll, splat, fma, shared: false, skipZeros: true,
      };
      expect(moduleHash(config), JSON.stringify(config)).toEqual([length, hash]);
    }
  });
});
