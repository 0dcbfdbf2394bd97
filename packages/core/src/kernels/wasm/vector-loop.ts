// The loop shape every elementwise wasm kernel shares: 4-lane vectors up to a padded end.
import { type Body, type Local, ValType } from "./binary.js";
import {
  I32_ADD, I32_AND, I32_GE_U, I32_MUL, addTo, block, br, brIf, emit, i32Const, localGet, localSet,
  loop,
} from "./instructions.js";

/** Shuffle lanes that join the low halves (lanes 0–1) of two f32x4 vectors. */
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** Shuffle lanes that swap the halves of a vector (lanes 2–3 to 0–1), for the f64 promotes. */
export const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/**
 * Emits a loop over the ⌈count / 4⌉ 4-lane vectors that start at `lead`: `body` runs once per
 * vector, then each pointer in `advance` moves on by its byte stride.
 */
export function forEachVector(
  code: Body, lead: Local, count: Local, advance: ReadonlyArray<readonly [Local, number]>,
  body: () => void,
): void {
  const end = code.local(ValType.i32);
  emit(code, localGet(lead), localGet(count), i32Const(3), I32_ADD, i32Const(-4), I32_AND,
    i32Const(4), I32_MUL, I32_ADD, localSet(end));
  block(code, () => loop(code, () => {
    emit(code, localGet(lead), localGet(end), I32_GE_U, brIf(1));
    body();
    for (const [pointer, bytes] of advance) emit(code, addTo(pointer, bytes));
    emit(code, br(0));
  }));
}

