// Broadcast binary ops and where, value for value against a direct loop over the output's
// multi-index (written here, not the kernels' strided runs or their axis merging), in float32
// and float64 and with 1 and 2 threads; plus the axis merging itself on the shapes it is for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Tensor, add, div, maximum, mul, setNumThreads, sizeOf, sub, tensor, where,
} from "../src/index.js";
import { coalesce } from "../src/kernels/elementwise.js";
import { broadcastableShapes } from "./arbitraries.js";

/** The value of t at the broadcast output index `at` (NumPy rules, right-aligned). */
function read(t: Tensor, at: readonly number[]): number {
  let offset = 0;
  let stride = 1;
  for (let d = t.rank - 1; d >= 0; d--) {
    const i = at[at.length - t.rank + d];
    offset += (t.shape[d] === 1 ? 0 : i) * stride;
    stride *= t.shape[d];
  }
  return t.data[offset];
}

/** out[i] = f(inputs at i) for every output index, in row-major order. */
function direct(out: readonly number[], inputs: Tensor[], f: (...v: number[]) => number): number[] {
  const values: number[] = [];
  const at = out.map(() => 0);
  for (let k = 0; k < sizeOf(out); k++) {
    values.push(f(...inputs.map((t) => read(t, at))));
    for (let d = out.length - 1; d >= 0; d--) {
      if (++at[d] < out[d]) break;
      at[d] = 0;
    }
  }
  return values;
}

function filled(shape: number[], seed: number, dtype: "float32" | "float64"): Tensor {
  const values = Array.from({ length: sizeOf(shape) },
    (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 3);
  return tensor(values, shape, { dtype });
}

const outShape = (shapes: number[][]): number[] => {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, d) =>
    Math.max(...shapes.map((s) => s[s.length - rank + d] ?? 1)));
};

const rounded = (dtype: "float32" | "float64") => (v: number) =>
  (dtype === "float32" ? Math.fround(v) : v);

describe("broadcast binary ops and where, against a direct loop", () => {
  const ops = [
    ["add", add, (x: number, y: number) => x + y],
    ["sub", sub, (x: number, y: number) => x - y],
    ["mul", mul, (x: number, y: number) => x * y],
    ["div", div, (x: number, y: number) => x / y],
    ["maximum", maximum, (x: number, y: number) => Math.max(x, y)],
  ] as const;
  for (const threads of [1, 2]) {
    for (const [name, op, f] of ops) {
      it(`${name}, ${threads} thread(s)`, () => {
        setNumThreads(threads);
        fc.assert(fc.property(broadcastableShapes(2, { maxRank: 5, maxSize: 400 }),
          fc.constantFrom("float32" as const, "float64" as const), ([sa, sb], dtype) => {
            const [a, b] = [filled(sa, 1, dtype), filled(sb, 2, dtype)];
            const out = op(a, b);
            expect(out.shape).toEqual(outShape([sa, sb]));
            expect(Array.from(out.data))
              .toEqual(direct(out.shape, [a, b], f).map(rounded(dtype)));
          }), { numRuns: 150 });
        setNumThreads(1);
      });
    }
    it(`where over three broadcast operands, ${threads} thread(s)`, () => {
      setNumThreads(threads);
      fc.assert(fc.property(broadcastableShapes(3, { maxRank: 5, maxSize: 400 }),
        ([sc, sa, sb]) => {
          const cond = filled(sc, 3, "float64").greater(0);
          const [a, b] = [filled(sa, 4, "float64"), filled(sb, 5, "float64")];
          const out = where(cond, a, b);
          expect(Array.from(out.data))
            .toEqual(direct(out.shape, [cond, a, b], (c, x, y) => (c !== 0 ? x : y)));
        }), { numRuns: 150 });
      setNumThreads(1);
    });
  }
});

describe("coalesce", () => {
  it("merges a channel broadcast's trailing axes into one run", () => {
    // x [64, 16, 28, 28] (contiguous) ⊙ per-channel [1, 16, 1, 1].
    expect(coalesce([64, 16, 28, 28], [[12544, 784, 28, 1], [0, 1, 0, 0]]))
      .toEqual({ shape: [64, 16, 784], strides: [[12544, 784, 1], [0, 1, 0]] });
  });

  it("merges everything for equal contiguous operands and drops size-1 axes", () => {
    expect(coalesce([2, 1, 3, 4], [[12, 12, 4, 1], [12, 12, 4, 1]]))
      .toEqual({ shape: [24], strides: [[1], [1]] });
    expect(coalesce([1, 1], [[1, 1], [0, 0]])).toEqual({ shape: [], strides: [[], []] });
  });

  it("keeps axes apart where one operand steps differently", () => {
    // A row vector [1, 5] against [3, 5]: its rows repeat, so rows and columns stay apart.
    expect(coalesce([3, 5], [[5, 1], [0, 1]]))
      .toEqual({ shape: [3, 5], strides: [[5, 1], [0, 1]] });
  });
});
