// Gradient checks for the reductions and softmax family: VJPs against float64 central differences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import {
  logSoftmax, logsumexp, max, mean, min, softmax, sum, type Axis,
} from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";

const RUNS = { numRuns: 40 };

const shapeArb = (minRank = 0) =>
  fc.array(fc.integer({ min: 1, max: 5 }), { minLength: minRank, maxLength: 4 });

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** A float64 tensor of `shape` with values in [-3, 3]. */
const valuesArb = (shape: readonly number[]) =>
  fc
    .array(fc.double({ min: -3, max: 3, noNaN: true }), {
      minLength: size(shape), maxLength: size(shape),
    })
    .map((v) => new Tensor(Float64Array.from(v), shape));

/** Pairwise distinct values at least 0.01 apart (no ties for max/min, gaps ≫ eps). */
const distinctArb = (shape: readonly number[]) =>
  fc
    .uniqueArray(fc.integer({ min: -500, max: 500 }), {
      minLength: size(shape), maxLength: size(shape),
    })
    .map((v) => new Tensor(Float64Array.from(v, (k) => k / 100), shape));

/** undefined (all axes), one axis, or a subset; each axis written positive or negative. */
const axisArb = (rank: number): fc.Arbitrary<Axis | undefined> => {
  const all = Array.from({ length: rank }, (_, i) => i);
  const signed = (axes: number[]) =>
    fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length })
      .map((neg) => axes.map((a, i) => (neg[i] ? a - rank : a)));
  const subset = fc.shuffledSubarray(all).chain(signed);
  const options: fc.Arbitrary<Axis | undefined>[] = [fc.constant(undefined), subset];
  if (rank > 0) options.push(fc.integer({ min: -rank, max: rank - 1 }));
  return fc.oneof(...options);
};

type Case = { x: Tensor; axis: Axis | undefined; keepdims: boolean };

const caseArb = (values: (shape: readonly number[]) => fc.Arbitrary<Tensor>) =>
  shapeArb().chain((shape) =>
    fc.record({ x: values(shape), axis: axisArb(shape.length), keepdims: fc.boolean() }),
  );

/** The expected output shape of a reduction, computed independently of the op. */
function reducedShape(shape: readonly number[], axis: Axis | undefined, keepdims: boolean) {
  const rank = shape.length;
  const list =
    axis === undefined ? shape.map((_, i) => i) : typeof axis === "number" ? [axis] : axis;
  const axes = new Set(list.map((a) => (a < 0 ? a + rank : a)));
  return shape.flatMap((d, i) => (axes.has(i) ? (keepdims ? [1] : []) : [d]));
}

/** gradcheck at default tolerances, plus gradient shapes equal to input shapes. */
function expectGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const report = gradcheck(f, inputs);
  expect(report.ok).toBe(true);
  expect(report.checked).toBe(inputs.reduce((n, x) => n + x.size, 0));
  const grads = grad((...xs: Tensor[]) => sum(f(...xs)), inputs.map((_, i) => i))(...inputs);
  grads.forEach((g, i) => expect(g.shape).toEqual(inputs[i].shape));
}

describe("reductions: vjp matches central differences", () => {
  const reductions = [
    ["sum", sum, valuesArb],
    ["mean", mean, valuesArb],
    ["max", max, distinctArb],
    ["min", min, distinctArb],
    ["logsumexp", logsumexp, valuesArb],
  ] as const;

  for (const [name, op, values] of reductions) {
    it(`${name} over random axes, with and without keepdims`, () => {
      fc.assert(
        fc.property(caseArb(values), ({ x, axis, keepdims }: Case) => {
          const y = op(x, axis, keepdims);
          expect(y.shape).toEqual(reducedShape(x.shape, axis, keepdims));
          expectGradients((t) => op(t, axis, keepdims), [x]);
        }),
        RUNS,
      );
    });
  }

  it("max and min agree with a plain loop over the flattened tensor", () => {
    fc.assert(
      fc.property(shapeArb().chain(distinctArb), (x) => {
        const values = Array.from(x.data);
        expect(max(x).item()).toBe(Math.max(...values));
        expect(min(x).item()).toBe(Math.min(...values));
      }),
      RUNS,
    );
  });
});

describe("softmax family: vjp matches central differences", () => {
  const axisCase = shapeArb(1).chain((shape) =>
    fc.record({
      x: valuesArb(shape),
      axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    }),
  );

  it("softmax along a random axis", () => {
    fc.assert(
      fc.property(axisCase, ({ x, axis }) => {
        expect(softmax(x, axis).shape).toEqual(x.shape);
        expectGradients((t) => softmax(t, axis), [x]);
      }),
      RUNS,
    );
  });

  it("logSoftmax along a random axis", () => {
    fc.assert(
      fc.property(axisCase, ({ x, axis }) => {
        expect(logSoftmax(x, axis).shape).toEqual(x.shape);
        expectGradients((t) => logSoftmax(t, axis), [x]);
      }),
      RUNS,
    );
  });

  it("softmax slices sum to 1 and logSoftmax = log softmax", () => {
    fc.assert(
      fc.property(axisCase, ({ x, axis }) => {
        const s = softmax(x, axis);
        const totals = sum(s, axis).data;
        for (const t of totals) expect(t).toBeCloseTo(1, 12);
        const ls = logSoftmax(x, axis).data;
        s.data.forEach((v, i) => expect(Math.log(v)).toBeCloseTo(ls[i], 12));
      }),
      RUNS,
    );
  });
});
