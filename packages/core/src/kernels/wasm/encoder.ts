// The instruction builder `Code`: a function body with one chaining method per instruction
// (the module generators in this folder use instructions.ts's `emit` instead, which minifies to
// fewer bytes), and the re-exports of binary.ts (LEB128, value types, the module writer).
import { Body, type Local } from "./binary.js";
import * as ins from "./instructions.js";

export { type Local, type MemoryImport, ModuleBuilder, ValType, sleb, uleb } from "./binary.js";

// The instructions without structure, as tables (method name → the instruction in
// instructions.ts) that `Code`'s methods are generated from: one entry per instruction instead of
// one method each, and one source for the bytes. The methods' types are declared in `Instructions`.

/** Instructions without immediates: their bytes. */
const FIXED = {
  drop: ins.DROP, select: ins.SELECT, i32Eqz: ins.I32_EQZ, i32Eq: ins.I32_EQ, i32Ne: ins.I32_NE,
  i32LtS: ins.I32_LT_S, i32LtU: ins.I32_LT_U, i32GtS: ins.I32_GT_S, i32LeS: ins.I32_LE_S,
  i32GeS: ins.I32_GE_S, i32GeU: ins.I32_GE_U, i32Ctz: ins.I32_CTZ, i32Add: ins.I32_ADD,
  i32Sub: ins.I32_SUB, i32Mul: ins.I32_MUL, i32DivU: ins.I32_DIV_U, i32RemU: ins.I32_REM_U,
  i32And: ins.I32_AND, i32Or: ins.I32_OR, i32Shl: ins.I32_SHL, i32ShrU: ins.I32_SHR_U,
  f32Ne: ins.F32_NE, f32Lt: ins.F32_LT, f32Gt: ins.F32_GT, f32Le: ins.F32_LE, f32Add: ins.F32_ADD,
  f64Mul: ins.F64_MUL, i32TruncF32S: ins.I32_TRUNC_F32_S, f32ConvertI32S: ins.F32_CONVERT_I32_S,
  f32DemoteF64: ins.F32_DEMOTE_F64, f64PromoteF32: ins.F64_PROMOTE_F32, f32Sqrt: ins.F32_SQRT,
  f32Sub: ins.F32_SUB, f32Mul: ins.F32_MUL, f32Div: ins.F32_DIV, f64Sqrt: ins.F64_SQRT,
  f64Add: ins.F64_ADD, f64Sub: ins.F64_SUB, f64Div: ins.F64_DIV, i32x4Splat: ins.I32X4_SPLAT,
  f32x4Splat: ins.F32X4_SPLAT, f64x2Splat: ins.F64X2_SPLAT, f32x4Eq: ins.F32X4_EQ,
  f32x4Ne: ins.F32X4_NE, f32x4Gt: ins.F32X4_GT, f32x4Le: ins.F32X4_LE, f64x2Gt: ins.F64X2_GT,
  f64x2Ge: ins.F64X2_GE, v128And: ins.V128_AND, v128Or: ins.V128_OR,
  v128Bitselect: ins.V128_BITSELECT, v128AnyTrue: ins.V128_ANY_TRUE,
  f32x4DemoteF64x2Zero: ins.F32X4_DEMOTE_F64X2_ZERO,
  f64x2PromoteLowF32x4: ins.F64X2_PROMOTE_LOW_F32X4, f64x2Nearest: ins.F64X2_NEAREST,
  i32x4Bitmask: ins.I32X4_BITMASK, i32x4Add: ins.I32X4_ADD, i32x4Sub: ins.I32X4_SUB,
  i64x2ExtendLowI32x4S: ins.I64X2_EXTEND_LOW_I32X4_S, i64x2Shl: ins.I64X2_SHL,
  f32x4Add: ins.F32X4_ADD, f32x4Sub: ins.F32X4_SUB, f32x4Mul: ins.F32X4_MUL,
  f64x2Abs: ins.F64X2_ABS, f64x2Neg: ins.F64X2_NEG, f64x2Sqrt: ins.F64X2_SQRT,
  f64x2Add: ins.F64X2_ADD, f64x2Sub: ins.F64X2_SUB, f64x2Mul: ins.F64X2_MUL,
  f64x2Div: ins.F64X2_DIV, f64x2Max: ins.F64X2_MAX,
  i32x4TruncSatF64x2SZero: ins.I32X4_TRUNC_SAT_F64X2_S_ZERO,
  f32x4RelaxedMadd: ins.F32X4_RELAXED_MADD, f32x4Div: ins.F32X4_DIV,
} as const satisfies Partial<Record<keyof Instructions, ins.Instruction>>;

/** Instructions with one immediate (a label, function, local, memory offset or lane). */
const WITH_IMMEDIATE = {
  br: ins.br, brIf: ins.brIf, call: ins.call, get: ins.localGet, set: ins.localSet,
  tee: ins.localTee, i32Load: ins.i32Load, f32Load: ins.f32Load, i32Store: ins.i32Store,
  f32Store: ins.f32Store, v128Load: ins.v128Load, v128Load32Splat: ins.v128Load32Splat,
  v128Store: ins.v128Store, f64Load: ins.f64Load, f64Store: ins.f64Store,
  i32x4ExtractLane: ins.i32x4ExtractLane, f32x4ExtractLane: ins.f32x4ExtractLane,
} as const satisfies Partial<Record<keyof Instructions, (immediate: number) => number[]>>;

type Generated = keyof typeof FIXED | keyof typeof WITH_IMMEDIATE;
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
    define(FIXED, (op) => function () { ins.emit(this, op); return this; });
    define(WITH_IMMEDIATE, (op) => function (x) {
      ins.emit(this, (op as (immediate?: number) => number[])(x));
      return this;
    });
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
  i32(value: number): this { return this.raw(...ins.i32Const(value)); }
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
