// WebAssembly encoder: LEB128 values, the structure of an encoded module, every instruction's
// bytes and the generated kernel module's bytes (golden, see below).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cnnExtension } from "../src/kernels/wasm/conv-module.js";
import { Body } from "../src/kernels/wasm/binary.js";
import { Code, ModuleBuilder, ValType, sleb, uleb } from "../src/kernels/wasm/encoder.js";
import * as instructions from "../src/kernels/wasm/instructions.js";
import { type Instruction, emit } from "../src/kernels/wasm/instructions.js";
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
  // Added since (batch norm), their bytes from the WebAssembly specification's opcode table.
  ["f64Load", [1000], "2b03e807"], ["f64Store", [1000], "3903e807"], ["f32Sqrt", [], "91"],
  ["f32Sub", [], "93"], ["f32Mul", [], "94"], ["f32Div", [], "95"], ["f64Sqrt", [], "9f"],
  ["f64Add", [], "a0"], ["f64Sub", [], "a1"], ["f64Div", [], "a3"], ["f32x4Div", [], "fde701"],
];

describe("Code's instruction methods", () => {
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

describe("instructions.ts", () => {
  it("encodes every instruction as Code's method of the same name does", () => {
    // get → localGet, i32 → i32Const, …; a method without arguments is a constant:
    // i32GeU → I32_GE_U.
    const renamed: Record<string, string> = {
      get: "localGet", set: "localSet", tee: "localTee", i32: "i32Const", f32: "f32Const",
      f64: "f64Const",
    };
    type Entry = Instruction | ((...args: unknown[]) => Instruction);
    const table = instructions as unknown as Record<string, Entry>;
    for (const [name, args, hex] of cases) {
      const exported = args.length === 0
        ? name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
        : renamed[name] ?? name;
      const value = table[exported];
      const instruction = typeof value === "function" ? value(...args) : value;
      expect(instruction, `${name} as ${exported}`).toBeDefined();
      const body = new Body([]);
      emit(body, instruction);
      expect(Buffer.from(body.bytes).toString("hex"), exported).toBe(hex);
    }
    // Offsets default to 0; addTo and forLoop emit what Code's did.
    const body = new Body([]);
    emit(body, instructions.f32Load(), instructions.v128Store(), instructions.addTo(3, 300));
    emit(body, instructions.addTo(2, { local: 130 }));
    instructions.forLoop(body, 1, 2, 4, () => emit(body, instructions.DROP));
    const code = new Code([]).f32Load().v128Store().addTo(3, 300).addTo(2, { local: 130 });
    code.forLoop(1, 2, 4, () => code.drop());
    expect(body.bytes).toEqual(code.bytes);
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
    [false, false, false, true, 21310,
      "c2b08e8b12750db1b61c103d53cd6abe0eaf286abdfaeb4183ca67cb6c709e7d"],
    [false, false, false, false, 19168,
      "08e127d4cca3b1e71079ca53233b209158623ecf07da827fc61fd2a8e0f38b5c"],
    [false, false, true, true, 21310,
      "661c3cc53b47e4150a1a8f27164e7a3a0820e938cda7e3517fc291ffeaea5f1e"],
    [false, false, true, false, 19168,
      "d87b89902d02f89300d4aa9335e7200080a1489cca6e46b09f656b6d885032b1"],
    [false, true, false, true, 22261,
      "c0c43cbdfaa8c478b187935418d5219541b4f53f0b1a83ac8f0c0b9007a5651e"],
    [false, true, false, false, 19583,
      "f78897454c9931384422ed3ecc54030e3b79fe606310a0385286c45de3c99534"],
    [false, true, true, true, 22261,
      "08f4ec86f3eaec9d9154abdded6efe36d3ac265bcf02f6bee7dbef2f09ba353e"],
    [false, true, true, false, 19583,
      "8dc6906197d0b6710bfd9d8e02d9ef90262e25f3cb30d57a04cf34a330d29927"],
    [true, false, false, true, 78630,
      "975c0397c7ca40b9890d24348a150610321f4574504b57d97b95c7c0cf2c23b0"],
    [true, false, false, false, 76488,
      "8af6982fcfef76079855bd25e1269a5c2986ffd5d022e86798a6c2cb5804e824"],
    [true, false, true, true, 78630,
      "2162221461d145b985e32abae883a60b4ec36a797ac0e34b32909583d01e890d"],
    [true, false, true, false, 76488,
      "6c04cf89ad40065195c6211b98a5624e813751f3860682173806e54cd5a3aa8e"],
    [true, true, false, true, 79401,
      "391e5f21bdc48c48d5412bc8422fdcef237bd5d0c0069aed98f39a61e9103f2e"],
    [true, true, false, false, 76723,
      "b3771bd40b653821b29455713b47d53a6804fca42c0edfe8ae8cbd3b4ef232f3"],
    [true, true, true, true, 79401,
      "34a71dcd3ccc6cfb67ed3dc7ec9ae04f81ea8438eb568a77cbfbd0619eed72b3"],
    [true, true, true, false, 76723,
      "f00319a85feae4adbc5ac1ca7a69b616d0204f120226670536458728ff6865e8"],
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
    [4, 1, 2, "each", false, 76664,
      "105471af5026cccef5c4b7acf59f7f3eb9100226d38de8c7c9842c6c4b40aaa2"],
    [4, 1, 2, "each", true, 76130,
      "181af8043d0395c168f1a038fe1f235b76bb0640b1212e77fcc925e0073da697"],
    [6, 3, 4, "each", false, 87508,
      "3d6489b0f2581c81d5dc1490f94a6e779bb3015db4e6c8fc43b4e021f73e2a8b"],
    [6, 3, 4, "each", true, 85960,
      "e57e4c6d071ed0a1d607cdd8236f7e55fd6166ba5ea7abd1a5e8c7ad5c474b86"],
    [3, 2, 1, "row", false, 75944,
      "21333dcbbfa8d6db6991f7d0304df80af5c2a0a8df8544afcb7875e664764965"],
    [3, 2, 1, "row", true, 75458,
      "04610d74a5eea1e3f8ad3c4b62b07faf01af493a6a176e36b8372d017293a777"],
    ];
    for (const [mr, vectors, unroll, splat, fma, length, hash] of shapes) {
      const config: KernelConfig = {
        mr, vectors, unroll, splat, fma, shared: false, skipZeros: true,
      };
      expect(moduleHash(config), JSON.stringify(config)).toEqual([length, hash]);
    }
  });
});
