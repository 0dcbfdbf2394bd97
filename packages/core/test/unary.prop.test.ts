// Gradient checks for the elementwise unary ops and activations, and for astype's vjp.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abs, clamp, exp, expm1, leakyRelu, log, log1p, logSigmoid, neg, relu, sigmoid, softplus, sqrt,
  square, tanh,
} from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { gradcheck } from "../src/testing/index.js";
import {
  awayFrom, cotangent, float64Tensor, float64Value, shape,
} from "./arbitraries.js";
import type { ValueOptions } from "./arbitraries.js";

/** Gradient checks cost two forward passes per element; this cap keeps the suite fast. */
const shapes = { maxSize: 48 };
const runs = { numRuns: 50 };

/** A float64 tensor of random shape (rank 0–4, at most 48 elements) with these values. */
function input(values: ValueOptions = {}): fc.Arbitrary<Tensor> {
  return shape(shapes).chain((dims) => float64Tensor(dims, values));
}

/**
 * f's vjp matches central differences (gradcheck defaults: rtol 1e-6, atol 1e-8, random
 * non-uniform cotangent), and backward gives x a float64 gradient of x's shape.
 */
function expectGradient(f: (x: Tensor) => Tensor, x: Tensor): void {
  expect(gradcheck(f, [x]).ok).toBe(true);
  const leaf = x.clone().requireGrad();
  f(leaf).sum().backward();
  expect(leaf.grad).not.toBeNull();
  expect(leaf.grad!.shape).toEqual(x.shape);
  expect(leaf.grad!.dtype).toBe("float64");
}

/** One gradcheck property per op: name, function and where its inputs are smooth. */
const smoothOps: ReadonlyArray<[string, (x: Tensor) => Tensor, ValueOptions]> = [
  ["neg", neg, {}],
  ["square", square, {}],
  ["exp", exp, {}],
  ["log (x ≥ 0.1)", log, { positive: true, max: 3 }],
  ["log1p (x ≥ 0.1)", log1p, { positive: true, max: 3 }],
  ["log1p (near 0)", log1p, { min: -0.5, max: 0.5 }],
  ["expm1", expm1, {}],
  ["expm1 as a method", (x) => x.expm1().add(x.log1p().mul(0)), { positive: true, max: 3 }],
  ["sqrt (x ≥ 0.1)", sqrt, { positive: true, max: 3 }],
  ["abs (|x| ≥ 1e-3, off the kink)", abs, { awayFromZero: true }],
  ["sigmoid", sigmoid, { min: -6, max: 6 }],
  ["tanh", tanh, { min: -4, max: 4 }],
  ["relu (|x| ≥ 1e-3, off the kink)", relu, { awayFromZero: true }],
  ["softplus", softplus, { min: -6, max: 6 }],
  ["logSigmoid", logSigmoid, { min: -6, max: 6 }],
  ["leakyRelu with the default slope", (x) => x.leakyRelu(), { awayFromZero: true }],
];

describe("unary ops: vjp matches central differences", () => {
  for (const [name, f, values] of smoothOps) {
    it(name, () => {
      fc.assert(fc.property(input(values), (x) => expectGradient(f, x)), runs);
    });
  }

  it("leakyRelu with a random slope in [-1, 2] (|x| ≥ 1e-3)", () => {
    const cases = fc.tuple(input({ awayFromZero: true }), float64Value({ min: -1, max: 2 }));
    fc.assert(
      fc.property(cases, ([x, slope]) => expectGradient((t) => leakyRelu(t, slope), x)),
      runs,
    );
  });

  it("clamp with random bounds, one of them possibly omitted (x off the bounds)", () => {
    const bound = fc.option(float64Value({ min: -2, max: 2 }), { nil: undefined });
    const cases = fc
      .tuple(input(), bound, bound)
      .map(([x, a, b]): [Tensor, number | undefined, number | undefined] =>
        a !== undefined && b !== undefined && a > b ? [x, b, a] : [x, a, b],
      )
      .filter(([x, lo, hi]) => awayFrom(x, [lo ?? -Infinity, hi ?? Infinity]));
    fc.assert(
      fc.property(cases, ([x, lo, hi]) => expectGradient((t) => clamp(t, lo, hi), x)),
      runs,
    );
  });

  it("a chain of ops (sigmoid ∘ tanh ∘ exp ∘ square) composes gradients correctly", () => {
    const f = (x: Tensor) => x.square().exp().tanh().sigmoid();
    fc.assert(fc.property(input({ min: -1, max: 1 }), (x) => expectGradient(f, x)), runs);
  });
});

describe("astype", () => {
  it("to its own dtype is the identity, gradient included", () => {
    fc.assert(
      fc.property(input(), (x) => {
        expect(x.astype("float64")).toBe(x);
        expectGradient((t) => t.astype("float64"), x);
      }),
      runs,
    );
  });

  it("float32 → float64 passes the upstream gradient back, rounded to float32", () => {
    const cases = shape(shapes).chain((dims) => fc.tuple(float64Tensor(dims), cotangent(dims)));
    fc.assert(
      fc.property(cases, ([x64, dy]) => {
        const x = x64.astype("float32").detach().requireGrad();
        const y = x.astype("float64");
        expect(y.dtype).toBe("float64");
        expect(Array.from(y.data)).toEqual(Array.from(x.data));
        y.backward(dy);
        expect(x.grad!.dtype).toBe("float32");
        expect(x.grad!.shape).toEqual(x.shape);
        expect(Array.from(x.grad!.data)).toEqual(Array.from(Float32Array.from(dy.data)));
      }),
      runs,
    );
  });

  it("float64 → float32 → float64 gives back exactly the float32-rounded cotangent", () => {
    const cases = shape(shapes).chain((dims) => fc.tuple(float64Tensor(dims), cotangent(dims)));
    fc.assert(
      fc.property(cases, ([x, dy]) => {
        const leaf = x.clone().requireGrad();
        leaf.astype("float32").astype("float64").backward(dy);
        expect(leaf.grad!.dtype).toBe("float64");
        expect(Array.from(leaf.grad!.data)).toEqual(Array.from(Float32Array.from(dy.data)));
      }),
      runs,
    );
  });
});

describe("float32 and float64 paths agree", () => {
  it("every unary op gives the same values to 1e-5 relative in both dtypes", () => {
    const ops: ReadonlyArray<[(x: Tensor) => Tensor, ValueOptions]> = [
      ...smoothOps.map(([, f, values]): [(x: Tensor) => Tensor, ValueOptions] => [f, values]),
      [(x) => clamp(x, -0.5, 0.75), {}],
      [(x) => leakyRelu(x, 0.2), {}],
    ];
    const cases = fc
      .nat({ max: ops.length - 1 })
      .chain((k) => fc.tuple(fc.constant(k), input(ops[k][1])));
    fc.assert(
      fc.property(cases, ([k, x]) => {
        const f = ops[k][0];
        // Round the inputs to float32 first, so both paths see exactly the same values.
        const x32 = x.astype("float32").detach();
        const y32 = f(x32);
        const y64 = f(x32.astype("float64"));
        expect(y32.dtype).toBe("float32");
        expect(y64.dtype).toBe("float64");
        y64.data.forEach((v, i) => {
          expect(Math.abs(y32.data[i] - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v));
        });
      }),
      runs,
    );
  });
});
