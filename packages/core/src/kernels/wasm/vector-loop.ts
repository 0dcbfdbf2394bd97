// The loop shape every elementwise wasm kernel shares: 4-lane vectors up to a padded end.
import { type Code, type Local, ValType } from "./encoder.js";

/** Shuffle lanes that join the low halves (lanes 0–1) of two f32x4 vectors. */
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** Shuffle lanes that swap the halves of a vector (lanes 2–3 to 0–1), for the f64 promotes. */
export const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/**
 * Emits a loop over the ⌈count / 4⌉ 4-lane vectors that start at `lead`: `body` runs once per
 * vector, then each pointer in `advance` moves on by its byte stride.
 */
export function forEachVector(
  code: Code, lead: Local, count: Local, advance: ReadonlyArray<readonly [Local, number]>,
  body: () => void,
): void {
  const end = code.local(ValType.i32);
  code.get(lead).get(count).i32(3).i32Add().i32(-4).i32And().i32(4).i32Mul().i32Add().set(end);
  code.block(() => code.loop(() => {
    code.get(lead).get(end).i32GeU().brIf(1);
    body();
    for (const [pointer, bytes] of advance) code.addTo(pointer, bytes);
    code.br(0);
  }));
}

