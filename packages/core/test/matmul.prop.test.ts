// Gradient checks for matmul (2-D, 1-D, batched with broadcasting) and matmulTransposed layouts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import { matmul, matmulTransposed, sum } from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";

const RUNS = { numRuns: 40 };
const dim = fc.integer({ min: 1, max: 5 });
const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

const valuesArb = (shape: readonly number[]) =>
  fc
    .array(fc.double({ min: -2, max: 2, noNaN: true }), {
      minLength: size(shape), maxLength: size(shape),
    })
    .map((v) => new Tensor(Float64Array.from(v), shape));

/** Two batch shapes that broadcast together: dims dropped from the front or set to 1. */
const batchPairArb = fc
  .array(dim, { minLength: 0, maxLength: 2 })
  .chain((full) =>
    fc.tuple(...[0, 1].map(() =>
      fc.record({
        drop: fc.integer({ min: 0, max: full.length }),
        ones: fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      }).map(({ drop, ones }) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop)),
    )),
  );

/** Reference product of a: [..., m, k] and b: [..., k, n] by plain loops (broadcast batch). */
function referenceMatmul(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const padA = [...Array(rank - batchA.length).fill(1), ...batchA];
  const padB = [...Array(rank - batchB.length).fill(1), ...batchB];
  const batch = padA.map((d, i) => Math.max(d, padB[i]));
  const out: number[] = [];
  for (let flat = 0; flat < size(batch); flat++) {
    let rest = flat;
    let offA = 0;
    let offB = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const index = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      offA += (padA[d] === 1 ? 0 : index) * size(padA.slice(d + 1));
      offB += (padB[d] === 1 ? 0 : index) * size(padB.slice(d + 1));
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          s += a.data[(offA * m + i) * k + p] * b.data[(offB * k + p) * n + j];
        }
        out.push(s);
      }
    }
  }
  return out;
}

function expectGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const report = gradcheck(f, inputs);
  expect(report.ok).toBe(true);
  const grads = grad((...xs: Tensor[]) => sum(f(...xs)), inputs.map((_, i) => i))(...inputs);
  grads.forEach((g, i) => expect(g.shape).toEqual(inputs[i].shape));
}

function expectCloseArray(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 10));
}

describe("matmul: values and vjp", () => {
  it("2-D: [m, k] @ [k, n]", () => {
    const arb = fc.tuple(dim, dim, dim).chain(([m, k, n]) =>
      fc.tuple(valuesArb([m, k]), valuesArb([k, n])));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const c = matmul(a, b);
        expect(c.shape).toEqual([a.shape[0], b.shape[1]]);
        expectCloseArray(c.data, referenceMatmul(a, b));
        expectGradients(matmul, [a, b]);
      }),
      RUNS,
    );
  });

  it("1-D operands: vector @ matrix, matrix @ vector, vector @ vector, vector @ batch", () => {
    const arb = fc.record({ m: dim, k: dim, n: dim, b: dim, which: fc.integer({ min: 0, max: 4 }) })
      .chain(({ m, k, n, b, which }) => {
        const shapes = [
          [[k], [k, n]], [[m, k], [k]], [[k], [k]], [[k], [b, k, n]], [[b, m, k], [k]],
        ][which];
        return fc.tuple(valuesArb(shapes[0]), valuesArb(shapes[1]));
      });
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const c = matmul(a, b);
        const a2 = a.rank === 1 ? new Tensor(a.data, [1, a.shape[0]]) : a;
        const b2 = b.rank === 1 ? new Tensor(b.data, [b.shape[0], 1]) : b;
        const expectedShape = [
          ...(b.rank > 2 ? b.shape.slice(0, -2) : a.rank > 2 ? a.shape.slice(0, -2) : []),
          ...(a.rank > 1 ? [a.shape[a.rank - 2]] : []),
          ...(b.rank > 1 ? [b.shape[b.rank - 1]] : []),
        ];
        expect(c.shape).toEqual(expectedShape);
        expectCloseArray(c.data, referenceMatmul(a2, b2));
        expectGradients(matmul, [a, b]);
      }),
      RUNS,
    );
  });

  it("batched with broadcast batch dimensions", () => {
    const arb = fc.tuple(batchPairArb, dim, dim, dim).chain(([[batchA, batchB], m, k, n]) =>
      fc.tuple(valuesArb([...batchA, m, k]), valuesArb([...batchB, k, n])));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expectCloseArray(matmul(a, b).data, referenceMatmul(a, b));
        expectGradients(matmul, [a, b]);
      }),
      RUNS,
    );
  });
});

describe("matmulTransposed: all four layouts", () => {
  const swapLast = (t: Tensor): Tensor => {
    const [r, c] = t.shape.slice(-2);
    const batch = t.shape.slice(0, -2);
    const data = new Float64Array(t.size);
    for (let s = 0; s < size(batch); s++) {
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) data[s * r * c + j * r + i] = t.data[s * r * c + i * c + j];
      }
    }
    return new Tensor(data, [...batch, c, r]);
  };

  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`transA ${transA}, transB ${transB}, with broadcast batch dimensions`, () => {
        const arb = fc.tuple(batchPairArb, dim, dim, dim).chain(([[batchA, batchB], m, k, n]) =>
          fc.tuple(
            valuesArb([...batchA, ...(transA ? [k, m] : [m, k])]),
            valuesArb([...batchB, ...(transB ? [n, k] : [k, n])]),
          ));
        fc.assert(
          fc.property(arb, ([a, b]) => {
            const c = matmulTransposed(a, b, transA, transB);
            const expected = referenceMatmul(transA ? swapLast(a) : a, transB ? swapLast(b) : b);
            expectCloseArray(c.data, expected);
            expectGradients((x, y) => matmulTransposed(x, y, transA, transB), [a, b]);
          }),
          { numRuns: 30 },
        );
      });
    }
  }
});
