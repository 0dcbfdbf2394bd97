// WebAssembly instructions as bytes for `emit`: those without immediates as constants (one
// byte, or a prefix and its opcode), the others as functions of their immediates, and the
// structured control flow. The generators write `emit(code, localGet(a), I32_CONST…)` in the
// order of the binary format; minified, each name is a short variable, where a builder method
// per instruction (`Code` in encoder.ts) keeps its name in the bundle.
import { type Body, type Local, sleb, uleb } from "./binary.js";

/** An instruction's bytes: one opcode byte, or the whole encoded instruction. */
export type Instruction = number | readonly number[];

/** Appends the instructions to the body, in order. */
export function emit(code: Body, ...instructions: Instruction[]): void {
  for (const op of instructions) {
    if (typeof op === "number") code.bytes.push(op);
    else for (const byte of op) code.bytes.push(byte);
  }
}

// One-byte instructions without immediates.
export const DROP = 0x1a;
export const SELECT = 0x1b;
export const I32_EQZ = 0x45;
export const I32_EQ = 0x46;
export const I32_NE = 0x47;
export const I32_LT_S = 0x48;
export const I32_LT_U = 0x49;
export const I32_GT_S = 0x4a;
export const I32_LE_S = 0x4c;
export const I32_GE_S = 0x4e;
export const I32_GE_U = 0x4f;
/** f32 comparisons: != is true for unequal values and for NaN; −0 equals +0. */
export const F32_NE = 0x5c;
export const F32_LT = 0x5d;
export const F32_GT = 0x5e;
export const F32_LE = 0x5f;
/** Trailing zero bits (32 for 0). */
export const I32_CTZ = 0x68;
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const I32_DIV_U = 0x6e;
export const I32_REM_U = 0x70;
export const I32_AND = 0x71;
export const I32_OR = 0x72;
export const I32_SHL = 0x74;
export const I32_SHR_U = 0x76;
export const F32_SQRT = 0x91;
export const F32_ADD = 0x92;
export const F32_SUB = 0x93;
export const F32_MUL = 0x94;
export const F32_DIV = 0x95;
export const F64_SQRT = 0x9f;
export const F64_ADD = 0xa0;
export const F64_SUB = 0xa1;
export const F64_MUL = 0xa2;
export const F64_DIV = 0xa3;
/** f32 → i32, truncated (traps on NaN or out of range). */
export const I32_TRUNC_F32_S = 0xa8;
/** i32 → f32 (exact below 2^24). */
export const F32_CONVERT_I32_S = 0xb2;
/** f64 → f32, rounded to nearest. */
export const F32_DEMOTE_F64 = 0xb6;
/** f32 → f64 (exact). */
export const F64_PROMOTE_F32 = 0xbb;

// Bulk memory (0xFC prefix, then the opcode and memory indices).
export const MEMORY_FILL: readonly number[] = [0xfc, 0x0b, 0x00];
export const MEMORY_COPY: readonly number[] = [0xfc, 0x0a, 0x00, 0x00];

// SIMD without immediates: 0xFD, then the opcode in LEB128 (two bytes from 0x80).
export const I32X4_SPLAT: readonly number[] = [0xfd, 0x11];
export const F32X4_SPLAT: readonly number[] = [0xfd, 0x13];
export const F64X2_SPLAT: readonly number[] = [0xfd, 0x14];
export const F32X4_EQ: readonly number[] = [0xfd, 0x41];
export const F32X4_NE: readonly number[] = [0xfd, 0x42];
export const F32X4_GT: readonly number[] = [0xfd, 0x44];
export const F32X4_LE: readonly number[] = [0xfd, 0x45];
export const F64X2_GT: readonly number[] = [0xfd, 0x4a];
export const F64X2_GE: readonly number[] = [0xfd, 0x4c];
export const V128_AND: readonly number[] = [0xfd, 0x4e];
export const V128_OR: readonly number[] = [0xfd, 0x50];
/** Lanes of the first operand where the mask (third) has ones, else of the second. */
export const V128_BITSELECT: readonly number[] = [0xfd, 0x52];
/** 1 if any bit of the vector is set, else 0. */
export const V128_ANY_TRUE: readonly number[] = [0xfd, 0x53];
/** An f64x2 rounded to lanes 0–1 of an f32x4; lanes 2–3 are zero. */
export const F32X4_DEMOTE_F64X2_ZERO: readonly number[] = [0xfd, 0x5e];
/** Lanes 0–1 of an f32x4 as f64x2 (exact). */
export const F64X2_PROMOTE_LOW_F32X4: readonly number[] = [0xfd, 0x5f];
export const F64X2_NEAREST: readonly number[] = [0xfd, 0x94, 0x01];
/** Bit i set when lane i's top bit is (a comparison's true lanes). */
export const I32X4_BITMASK: readonly number[] = [0xfd, 0xa4, 0x01];
export const I32X4_ADD: readonly number[] = [0xfd, 0xae, 0x01];
export const I32X4_SUB: readonly number[] = [0xfd, 0xb1, 0x01];
/** i32 lanes 0–1 sign-extended to i64x2. */
export const I64X2_EXTEND_LOW_I32X4_S: readonly number[] = [0xfd, 0xc7, 0x01];
export const I64X2_SHL: readonly number[] = [0xfd, 0xcb, 0x01];
export const F32X4_ADD: readonly number[] = [0xfd, 0xe4, 0x01];
export const F32X4_SUB: readonly number[] = [0xfd, 0xe5, 0x01];
export const F32X4_MUL: readonly number[] = [0xfd, 0xe6, 0x01];
export const F32X4_DIV: readonly number[] = [0xfd, 0xe7, 0x01];
export const F64X2_ABS: readonly number[] = [0xfd, 0xec, 0x01];
export const F64X2_NEG: readonly number[] = [0xfd, 0xed, 0x01];
export const F64X2_SQRT: readonly number[] = [0xfd, 0xef, 0x01];
export const F64X2_ADD: readonly number[] = [0xfd, 0xf0, 0x01];
export const F64X2_SUB: readonly number[] = [0xfd, 0xf1, 0x01];
export const F64X2_MUL: readonly number[] = [0xfd, 0xf2, 0x01];
export const F64X2_DIV: readonly number[] = [0xfd, 0xf3, 0x01];
/** Lane-wise maximum; NaN in either lane gives NaN. */
export const F64X2_MAX: readonly number[] = [0xfd, 0xf5, 0x01];
/** f64x2 truncated to i32 lanes 0–1 (saturating; NaN → 0); lanes 2–3 zero. */
export const I32X4_TRUNC_SAT_F64X2_S_ZERO: readonly number[] = [0xfd, 0xfc, 0x01];
/** Relaxed SIMD: a·b + c with stack order a, b, c; may or may not round once. */
export const F32X4_RELAXED_MADD: readonly number[] = [0xfd, 0x85, 0x02];
/** The v128 constant 0. */
export const V128_ZERO: readonly number[] = [
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

// Instructions with immediates. Memory offsets are in bytes; the alignment is the natural one.

/** Branch to the label `depth` levels out (0 is the innermost). */
export const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
/** Branch when the i32 on the stack is not 0. */
export const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
/** Calls the function of index `index`. */
export const call = (index: number): number[] => [0x10, ...uleb(index)];
export const localGet = (x: Local): number[] => [0x20, ...uleb(x)];
export const localSet = (x: Local): number[] => [0x21, ...uleb(x)];
/** Sets the local and leaves the value on the stack. */
export const localTee = (x: Local): number[] => [0x22, ...uleb(x)];
export const i32Load = (offset = 0): number[] => [0x28, 2, ...uleb(offset)];
export const f32Load = (offset = 0): number[] => [0x2a, 2, ...uleb(offset)];
export const f64Load = (offset = 0): number[] => [0x2b, 3, ...uleb(offset)];
export const i32Store = (offset = 0): number[] => [0x36, 2, ...uleb(offset)];
export const f32Store = (offset = 0): number[] => [0x38, 2, ...uleb(offset)];
export const f64Store = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];
export const i32Const = (value: number): number[] => [0x41, ...sleb(value)];
/** An f32 constant (value rounded to float32). */
export const f32Const = (value: number): number[] =>
  [0x43, ...new Uint8Array(new Float32Array([value]).buffer)];
export const f64Const = (value: number): number[] =>
  [0x44, ...new Uint8Array(new Float64Array([value]).buffer)];
export const v128Load = (offset = 0): number[] => [0xfd, 0x00, 4, ...uleb(offset)];
/** One f32 (or i32) loaded into all four lanes. */
export const v128Load32Splat = (offset = 0): number[] => [0xfd, 0x09, 2, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [0xfd, 0x0b, 4, ...uleb(offset)];
/** A v128 constant of four f32 lanes. */
export const f32x4Const = (lanes: readonly [number, number, number, number]): number[] =>
  [0xfd, 0x0c, ...new Uint8Array(new Float32Array(lanes).buffer)];
/** Bytes of the two vectors on the stack picked by 16 byte indices (0–15 first, 16–31 second). */
export const i8x16Shuffle = (lanes: readonly number[]): number[] => [0xfd, 0x0d, ...lanes];
export const i32x4ExtractLane = (lane: number): number[] => [0xfd, 0x1b, lane];
export const f32x4ExtractLane = (lane: number): number[] => [0xfd, 0x1f, lane];

/** x += step, with step a constant or a local. */
export const addTo = (x: Local, step: number | { local: Local }): number[] => [
  ...localGet(x), ...(typeof step === "number" ? i32Const(step) : localGet(step.local)),
  I32_ADD, ...localSet(x),
];

// Structured control flow: the callbacks emit the nested instructions.

export function block(code: Body, body: () => void): void {
  emit(code, 0x02, 0x40);
  body();
  emit(code, 0x0b);
}

export function loop(code: Body, body: () => void): void {
  emit(code, 0x03, 0x40);
  body();
  emit(code, 0x0b);
}

/** if (the i32 on the stack ≠ 0) then() else otherwise(). */
export function ifElse(code: Body, then: () => void, otherwise?: () => void): void {
  emit(code, 0x04, 0x40);
  then();
  if (otherwise) { emit(code, 0x05); otherwise(); }
  emit(code, 0x0b);
}

/** while (i < end) { body(); i += step }, with i already initialised. */
export function forLoop(
  code: Body, i: Local, end: Local, step: number | { local: Local }, body: () => void,
): void {
  block(code, () => loop(code, () => {
    emit(code, localGet(i), localGet(end), I32_GE_S, brIf(1));
    body();
    emit(code, addTo(i, step), br(0));
  }));
}
