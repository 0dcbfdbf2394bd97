// linear (fused x·W + b and activation): equal to the composed ops, gradient checks, errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import {
  add, leakyRelu, linear, matmul, mul, relu, sum,
} from "../src/ops/all.js";
import type { LinearOptions } from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";

const RUNS = { numRuns: 40 };
const dim = fc.integer({ min: 1, max: 6 });
const activationArb = fc.constantFrom<LinearOptions["activation"]>("identity", "relu", "leakyRelu");
const slopeArb = fc.constantFrom(0, 0.01, 0.3, 1.5);

/** Values in [-2, 2] kept at least 1e-3 from 0 (the activation kink) after rounding. */
function valuesArb(count: number, awayFromZero: boolean): fc.Arbitrary<number[]> {
  const value = fc.double({ min: -2, max: 2, noNaN: true })
    .map((v) => (awayFromZero && Math.abs(v) < 1e-3 ? (v < 0 ? -0.5 : 0.5) : v));
  return fc.array(value, { minLength: count, maxLength: count });
}

const caseArb = (dtype: "float32" | "float64", awayFromZero = false) =>
  fc.tuple(dim, dim, dim, fc.boolean()).chain(([m, k, n, withBias]) =>
    fc.record({
      x: valuesArb(m * k, awayFromZero), w: valuesArb(k * n, false),
      b: valuesArb(withBias ? n : 0, false),
      activation: activationArb, slope: slopeArb,
    }).map(({ x, w, b, activation, slope }) => {
      const make = (v: number[], shape: number[]) =>
        new Tensor(dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v), shape);
      return {
        x: make(x, [m, k]), w: make(w, [k, n]), b: withBias ? make(b, [n]) : null,
        activation, slope,
      };
    }));

function composed(x: Tensor, w: Tensor, b: Tensor | null, options: LinearOptions): Tensor {
  const z = b === null ? matmul(x, w) : add(matmul(x, w), b);
  if (options.activation === "relu") return relu(z);
  if (options.activation === "leakyRelu") return leakyRelu(z, options.slope);
  return z;
}

describe("linear", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`equals matmul + bias + activation value for value (${dtype})`, () => {
      fc.assert(fc.property(caseArb(dtype), ({ x, w, b, activation, slope }) => {
        const options = { activation, slope };
        expect(Array.from(linear(x, w, b, options).data))
          .toEqual(Array.from(composed(x, w, b, options).data));
      }), RUNS);
    });
  }

  it("gradients match finite differences (float64, off the kink)", () => {
    fc.assert(fc.property(caseArb("float64", true), ({ x, w, b, activation, slope }) => {
      // Scalarise with fixed non-uniform weights, and stay off z = 0 by shifting the bias.
      const f = (...xs: Tensor[]) => linear(xs[0], xs[1], b === null ? null : xs[2],
        { activation, slope });
      const inputs = b === null ? [x, w] : [x, w, b];
      const z = composed(x, w, b, { activation: "identity" }).data;
      fc.pre(Array.from(z).every((v) => Math.abs(v) > 1e-4));
      expect(gradcheck(f, inputs).ok).toBe(true);
    }), RUNS);
  });

  it("gradients equal those of the composed ops, to second order", () => {
    fc.assert(fc.property(caseArb("float64", true), ({ x, w, b, activation, slope }) => {
      const inputs = b === null ? [x, w] : [x, w, b];
      const argnums = inputs.map((_, i) => i);
      const weights = (t: Tensor) => new Tensor(t.data.map((_, i) => 1 + 0.1 * i), t.shape);
      // g(inputs) = Σ (∂/∂inputs Σ f·c)·d: a second-order quantity through both paths.
      const second = (f: (...xs: Tensor[]) => Tensor) => grad((...xs: Tensor[]) => {
        const inner = grad((...ys: Tensor[]) => {
          const y = f(...ys);
          return sum(mul(y, weights(y)));
        }, argnums)(...xs);
        return inner.reduce((acc, g) => add(acc, sum(mul(g, mul(g, 0.5)))), sum(mul(xs[0], 0)));
      }, argnums)(...inputs);
      const bOf = (xs: Tensor[]) => (b === null ? null : xs[2]);
      const fused = second((...xs) => linear(xs[0], xs[1], bOf(xs), { activation, slope }));
      const plain = second((...xs) => composed(xs[0], xs[1], bOf(xs), { activation, slope }));
      fused.forEach((g, i) => {
        Array.from(g.data).forEach((v, j) => expect(v).toBeCloseTo(plain[i].data[j], 10));
      });
    }), { numRuns: 20 });
  });

  it("names the shapes and the bad option", () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    const w = new Tensor(new Float32Array(8), [4, 2]);
    expect(() => linear(x, w, null)).toThrow(/x is \[2, 3\], w is \[4, 2\]/);
    const w2 = new Tensor(new Float32Array(6), [3, 2]);
    expect(() => linear(x, w2, new Tensor(new Float32Array(3), [3]))).toThrow(/b must be \[2\]/);
    expect(() => linear(x, w2, null, { activation: "leakyRelu", slope: -1 }))
      .toThrow(/slope must be a finite number ≥ 0; got -1/);
  });
});
