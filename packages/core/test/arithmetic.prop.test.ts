// Gradient checks for the broadcasting binary ops: add sub mul div pow maximum minimum where.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, div, maximum, minimum, mul, pow, sizeOf, sub, where } from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { gradcheck } from "../src/testing/index.js";
import {
  broadcastTensorPair, broadcastableShapes, float64Tensor, float64Value, printableTensor,
} from "./arbitraries.js";

/** Gradient checks cost two forward passes per element; this cap keeps the suite fast. */
const shapes = { maxSize: 48 };
const runs = { numRuns: 50 };
const anyPair = broadcastTensorPair(shapes);

/**
 * The tape's gradients of f match central differences (gradcheck's defaults: rtol 1e-6,
 * atol 1e-8, random non-uniform cotangent), and backward gives every input a float64
 * gradient of exactly that input's shape, however broadcasting stretched it.
 */
function expectGradients(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[]): void {
  expect(gradcheck(f, inputs).ok).toBe(true);
  const leaves = inputs.map((x) => x.clone().requireGrad());
  f(...leaves).sum().backward();
  for (const leaf of leaves) {
    expect(leaf.grad).not.toBeNull();
    expect(leaf.grad!.shape).toEqual(leaf.shape);
    expect(leaf.grad!.dtype).toBe("float64");
  }
}

describe("binary ops: vjp matches central differences under broadcasting", () => {
  it("add", () => {
    fc.assert(fc.property(anyPair, ([a, b]) => expectGradients(add, [a, b])), runs);
  });

  it("sub", () => {
    fc.assert(fc.property(anyPair, ([a, b]) => expectGradients(sub, [a, b])), runs);
  });

  it("mul", () => {
    fc.assert(fc.property(anyPair, ([a, b]) => expectGradients(mul, [a, b])), runs);
  });

  it("div (divisor kept at |b| ≥ 0.5, away from the pole)", () => {
    const pairs = broadcastTensorPair(shapes, {}, { awayFromZero: 0.5 });
    fc.assert(fc.property(pairs, ([a, b]) => expectGradients(div, [a, b])), runs);
  });

  it("pow with a tensor exponent (positive base, so d/db = aᵇ ln a exists)", () => {
    const pairs = broadcastTensorPair(shapes, { positive: true, min: 0.5 }, {});
    fc.assert(fc.property(pairs, ([a, b]) => expectGradients(pow, [a, b])), runs);
  });

  it("maximum and minimum away from ties", () => {
    const separated = broadcastTensorPair(shapes).filter(([a, b]) => {
      const gap = sub(a, b).abs().data;
      return gap.every((d) => d >= 1e-3);
    });
    fc.assert(
      fc.property(separated, ([a, b]) => {
        expectGradients(maximum, [a, b]);
        expectGradients(minimum, [a, b]);
      }),
      runs,
    );
  });

  it("where routes the gradient by a broadcast mask (three-way broadcasting)", () => {
    const inputs = broadcastableShapes(3, shapes).chain(([condShape, aShape, bShape]) =>
      fc.tuple(
        fc
          .array(fc.boolean(), { minLength: sizeOf(condShape), maxLength: sizeOf(condShape) })
          .map((bits) => printableTensor(bits.map(Number), condShape)),
        float64Tensor(aShape),
        float64Tensor(bShape),
      ),
    );
    fc.assert(
      fc.property(inputs, ([condition, a, b]) => {
        expectGradients((x, y) => where(condition, x, y), [a, b]);
      }),
      runs,
    );
  });
});

describe("pow with a number exponent", () => {
  it("any real exponent on a positive base", () => {
    const cases = fc.tuple(
      broadcastableShapes(1, shapes).chain(([s]) => float64Tensor(s, { positive: true, min: 0.5 })),
      float64Value({ min: -3, max: 3 }),
    );
    fc.assert(fc.property(cases, ([x, p]) => expectGradients((t) => pow(t, p), [x])), runs);
  });

  it("integer exponents on bases of either sign (|x| ≥ 0.5), including 0 and negatives", () => {
    const cases = fc.tuple(
      broadcastableShapes(1, shapes).chain(([s]) => float64Tensor(s, { awayFromZero: 0.5 })),
      fc.integer({ min: -3, max: 4 }),
    );
    fc.assert(fc.property(cases, ([x, p]) => expectGradients((t) => t.pow(p), [x])), runs);
  });
});

describe("number operands on either side", () => {
  it("x ∘ c and c ∘ x for add, sub, mul, div", () => {
    const cases = fc.tuple(
      broadcastableShapes(1, shapes).chain(([s]) => float64Tensor(s, { awayFromZero: 0.5 })),
      float64Value({ min: -3, max: 3, awayFromZero: 0.25 }), // c is also a divisor below
    );
    fc.assert(
      fc.property(cases, ([x, c]) => {
        expectGradients((t) => add(t, c), [x]);
        expectGradients((t) => sub(c, t), [x]);
        expectGradients((t) => mul(c, t), [x]);
        expectGradients((t) => div(c, t), [x]);
        expectGradients((t) => t.div(c), [x]);
      }),
      runs,
    );
  });
});
