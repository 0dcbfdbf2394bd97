// The instruction builder `Code`: a function body with one chaining method per instruction
// (the module generators in this folder use instructions.ts's `emit` instead, which minifies to
// fewer bytes), and the re-exports of binary.ts (LEB128, value types, the module writer).
import { Body, type Local, sleb, uleb } from "./binary.js";
import * as ins from "./instructions.js";

export { type Local, type MemoryImport, ModuleBuilder, ValType, sleb, uleb } from "./binary.js";

// The instructions without structure, as tables (method name → opcode) that `Code`'s methods
// are generated from: one entry per instruction instead of one method each. The methods'
// types are declared in `Instructions`.

/** One-byte instructions without immediates. */
const PLAIN = {
  drop: 0x1a, select: 0x1b,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a,
  i32LeS: 0x4c, i32GeS: 0x4e, i32GeU: 0x4f,
  i32Ctz: 0x68, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32RemU: 0x70,
  i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrU: 0x76,
  f32Ne: 0x5c, f32Lt: 0x5d, f32Gt: 0x5e, f32Le: 0x5f, f32Add: 0x92, f64Mul: 0xa2,
  i32TruncF32S: 0xa8, f32ConvertI32S: 0xb2, f32DemoteF64: 0xb6, f64PromoteF32: 0xbb,
  f32Sqrt: 0x91, f32Sub: 0x93, f32Mul: 0x94, f32Div: 0x95,
  f64Sqrt: 0x9f, f64Add: 0xa0, f64Sub: 0xa1, f64Div: 0xa3,
} as const satisfies Partial<Record<keyof Instructions, number>>;

/** Instructions with one unsigned LEB128 immediate: a label depth, a function or a local. */
const INDEXED = {
  br: 0x0c, brIf: 0x0d, call: 0x10, get: 0x20, set: 0x21, tee: 0x22,
} as const satisfies Partial<Record<keyof Instructions, number>>;

/** Loads and stores: the opcode's bytes, then the natural alignment (log2 of its bytes). */
const MEMORY = {
  i32Load: [0x28, 2], f32Load: [0x2a, 2], i32Store: [0x36, 2], f32Store: [0x38, 2],
  v128Load: [0xfd, 0x00, 4], v128Load32Splat: [0xfd, 0x09, 2], v128Store: [0xfd, 0x0b, 4],
  f64Load: [0x2b, 3], f64Store: [0x39, 3],
} as const satisfies Partial<Record<keyof Instructions, readonly number[]>>;

/** SIMD instructions without immediates: 0xfd, then the opcode in LEB128. */
const SIMD = {
  i32x4Splat: 0x11, f32x4Splat: 0x13, f64x2Splat: 0x14,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Gt: 0x44, f32x4Le: 0x45, f64x2Gt: 0x4a, f64x2Ge: 0x4c,
  v128And: 0x4e, v128Or: 0x50, v128Bitselect: 0x52, v128AnyTrue: 0x53,
  f32x4DemoteF64x2Zero: 0x5e, f64x2PromoteLowF32x4: 0x5f, f64x2Nearest: 0x94,
  i32x4Bitmask: 0xa4, i32x4Add: 0xae, i32x4Sub: 0xb1, i64x2ExtendLowI32x4S: 0xc7,
  i64x2Shl: 0xcb, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6,
  f64x2Abs: 0xec, f64x2Neg: 0xed, f64x2Sqrt: 0xef, f64x2Add: 0xf0, f64x2Sub: 0xf1,
  f64x2Mul: 0xf2, f64x2Div: 0xf3, f64x2Max: 0xf5, i32x4TruncSatF64x2SZero: 0xfc,
  f32x4RelaxedMadd: 0x105,
  f32x4Div: 0xe7,
} as const satisfies Partial<Record<keyof Instructions, number>>;

/** SIMD instructions with one lane index byte. */
const LANE = {
  i32x4ExtractLane: 0x1b, f32x4ExtractLane: 0x1f,
} as const satisfies Partial<Record<keyof Instructions, number>>;

type Generated =
  keyof typeof PLAIN | keyof typeof INDEXED | keyof typeof MEMORY | keyof typeof SIMD |
  keyof typeof LANE;
/** Type-checks only if T is never. */
type Never<T extends never> = T;
// Every declared instruction has a table entry: a missing one would be undefined at run time.
type InstructionsComplete = Never<Exclude<keyof Instructions, Generated>>;

/**
 * The generated instruction methods of `Code` (see the tables above). Memory offsets are in
 * bytes; each method appends its instruction and returns the builder.
 */
export interface Instructions {
  drop(): this;
  select(): this;
  br(depth: number): this;
  brIf(depth: number): this;
  call(index: number): this;

  // Variables.
  get(x: Local): this;
  set(x: Local): this;
  tee(x: Local): this;

  // Scalar memory access.
  i32Load(offset?: number): this;
  f32Load(offset?: number): this;
  f32Store(offset?: number): this;
  i32Store(offset?: number): this;
  f64Load(offset?: number): this;
  f64Store(offset?: number): this;

  // i32 arithmetic and comparisons.
  i32Eqz(): this;
  i32Eq(): this;
  i32Ne(): this;
  i32LtS(): this;
  i32GtS(): this;
  i32LeS(): this;
  i32GeS(): this;
  i32GeU(): this;
  i32LtU(): this;
  i32Add(): this;
  i32Sub(): this;
  i32Mul(): this;
  i32DivU(): this;
  i32RemU(): this;
  i32And(): this;
  /** Trailing zero bits (32 for 0). */
  i32Ctz(): this;
  i32Or(): this;
  i32Shl(): this;
  i32ShrU(): this;

  // f32 and f64 scalar arithmetic.
  f32Add(): this;
  f32Lt(): this;
  /** i32 → f32 (exact below 2^24). */
  f32ConvertI32S(): this;
  /** f32 → i32, truncated (traps on NaN or out of range). */
  i32TruncF32S(): this;
  f32Gt(): this;
  f32Le(): this;
  /** True for unequal values and for NaN; −0 equals +0. */
  f32Ne(): this;
  f64Mul(): this;
  /** f32 → f64 (exact). */
  f64PromoteF32(): this;
  /** f64 → f32, rounded to nearest. */
  f32DemoteF64(): this;
  f32Sub(): this;
  f32Mul(): this;
  f32Div(): this;
  f32Sqrt(): this;
  f64Add(): this;
  f64Sub(): this;
  f64Div(): this;
  f64Sqrt(): this;

  // SIMD (0xFD prefix).
  v128Load(offset?: number): this;
  v128Load32Splat(offset?: number): this;
  v128Store(offset?: number): this;
  f32x4Splat(): this;
  f32x4ExtractLane(lane: number): this;
  i32x4ExtractLane(lane: number): this;
  v128And(): this;
  f32x4Gt(): this;
  f32x4Le(): this;
  f32x4Ne(): this;
  f32x4Eq(): this;
  /** 1 if any bit of the vector is set, else 0. */
  v128AnyTrue(): this;
  v128Or(): this;
  f64x2Splat(): this;
  f64x2Add(): this;
  f64x2Sub(): this;
  f64x2Div(): this;
  f64x2Sqrt(): this;
  f64x2Mul(): this;
  f64x2Abs(): this;
  f64x2Neg(): this;
  /** Lane-wise maximum; NaN in either lane gives NaN. */
  f64x2Max(): this;
  f64x2Nearest(): this;
  f64x2Gt(): this;
  f64x2Ge(): this;
  /** f64x2 truncated to i32 lanes 0–1 (saturating; NaN → 0); lanes 2–3 zero. */
  i32x4TruncSatF64x2SZero(): this;
  i32x4Splat(): this;
  i32x4Add(): this;
  i32x4Sub(): this;
  /** Bit i set when lane i's top bit is (a comparison's true lanes). */
  i32x4Bitmask(): this;
  /** i32 lanes 0–1 sign-extended to i64x2. */
  i64x2ExtendLowI32x4S(): this;
  i64x2Shl(): this;
  /** Lanes 0–1 of an f32x4 as f64x2 (exact). */
  f64x2PromoteLowF32x4(): this;
  /** An f64x2 rounded to lanes 0–1 of an f32x4; lanes 2–3 are zero. */
  f32x4DemoteF64x2Zero(): this;
  /** Lanes of the first operand where the mask (third) has ones, else of the second. */
  v128Bitselect(): this;
  f32x4Add(): this;
  f32x4Sub(): this;
  f32x4Mul(): this;
  f32x4Div(): this;
  /** Relaxed SIMD: a·b + c with stack order a, b, c; may or may not round once. */
  f32x4RelaxedMadd(): this;
}

// The class and this interface merge: Code has the generated methods.
export interface Code extends Instructions {}

/**
 * Builds one function body. Methods append instructions and return `this`, so a kernel reads as
 * a chain. Memory offsets are in bytes; alignments are log2 of the byte alignment.
 */
export class Code extends Body {
  static {
    // The instruction methods, from the tables.
    type Method = (this: Code, arg?: number) => Code;
    const methods = Code.prototype as unknown as Record<Generated, Method>;
    const define = <T>(table: Record<string, T>, method: (op: T) => Method): void => {
      for (const [name, op] of Object.entries(table)) methods[name as Generated] = method(op);
    };
    define(PLAIN, (op) => function () { return this.raw(op); });
    define(INDEXED, (op) => function (x) { return this.raw(op, ...uleb(x!)); });
    define(MEMORY, (op) => function (offset = 0) {
      return this.raw(...op.slice(0, -1), ...uleb(op[op.length - 1]), ...uleb(offset));
    });
    define(SIMD, (op) => function () { return this.raw(0xfd, ...uleb(op)); });
    define(LANE, (op) => function (lane) { return this.raw(0xfd, ...uleb(op), lane!); });
  }

  /** Appends raw bytes. */
  raw(...bytes: number[]): this {
    ins.emit(this, bytes);
    return this;
  }

  // Control flow. `body` callbacks emit the nested instructions.
  block(body: () => void): this { ins.block(this, body); return this; }
  loop(body: () => void): this { ins.loop(this, body); return this; }
  if(then: () => void, otherwise?: () => void): this {
    ins.ifElse(this, then, otherwise);
    return this;
  }

  /** while (i < end) { body(); i += step }, with i already initialised. */
  forLoop(i: Local, end: Local, step: number | { local: Local }, body: () => void): this {
    ins.forLoop(this, i, end, step, body);
    return this;
  }

  /** x += step, with step a constant or a local. */
  addTo(x: Local, step: number | { local: Local }): this { return this.raw(...ins.addTo(x, step)); }

  /** An i32 constant. */
  i32(value: number): this { return this.raw(0x41, ...sleb(value)); }
  /** An f32 constant (value rounded to float32). */
  f32(value: number): this { return this.raw(...ins.f32Const(value)); }
  /** An f64 constant. */
  f64(value: number): this { return this.raw(...ins.f64Const(value)); }

  // Bulk memory.
  memoryFill(): this { return this.raw(...ins.MEMORY_FILL); }
  memoryCopy(): this { return this.raw(...ins.MEMORY_COPY); }

  // SIMD constants and shuffles (0xFD prefix).
  v128Zero(): this { return this.raw(...ins.V128_ZERO); }
  /** A v128 constant of four f32 lanes. */
  f32x4Const(lanes: readonly [number, number, number, number]): this {
    return this.raw(...ins.f32x4Const(lanes));
  }
  i8x16Shuffle(lanes: readonly number[]): this { return this.raw(...ins.i8x16Shuffle(lanes)); }
}
