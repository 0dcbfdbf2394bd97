// relu's backward runs as one kernel (leakyStepMul reading x); it must give what multiplying
// dy by step(x) gives — bit for bit, with ±0, ±∞ and NaN in x and in dy, in float32 (the
// WebAssembly kernel) and float64 (TypeScript), with the same dtype as dy.
import { describe, expect, it } from "vitest";
import { Tensor, mul, relu, sum } from "../src/index.js";

const SPECIAL = [0, -0, 1, -1, 2.5, -3e-8, Infinity, -Infinity, NaN, 1e-40, -1e-40];

/** Specials at every `every`-th place (different strides for x and dy, so every pair meets). */
function values(count: number, seed: number, every: number): number[] {
  return Array.from({ length: count }, (_, i) => i % every === 0
    ? SPECIAL[(i / every + seed) % SPECIAL.length] : Math.sin(i * 1.7 + seed) * 4);
}

describe("relu backward", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`equals dy·step(x) bit for bit (${dtype}, special values in x and dy)`, () => {
      const make = (v: number[]) =>
        new Tensor(dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v), [v.length]);
      const count = 4099; // past the vector width, with a ragged tail
      const x = make(values(count, 1, 1)).requireGrad(); // all special: NaN meets finite dy
      const dy = make(values(count, 4, 2));
      sum(mul(relu(x), dy)).backward();
      // step(x): 0 where x ≤ 0 (−0 and 0 included), 1 elsewhere (NaN included).
      const step = make(Array.from(x.data, (v) => (v <= 0 ? 0 : 1)));
      const expected = mul(dy, step);
      expect(x.grad!.dtype).toBe(dtype);
      expect(Array.from(x.grad!.data).map(Object.is.bind(null, 0)))
        .toEqual(Array.from(expected.data).map(Object.is.bind(null, 0)));
      expect(Array.from(x.grad!.data)).toEqual(Array.from(expected.data));
    });
  }
});
