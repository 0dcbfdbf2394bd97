// Hand-computed values, kinks, stability and errors for the unary ops and activations.
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { astype } from "./convert.js";
import {
  abs, clamp, exp, expm1, leakyRelu, log, log1p, logSigmoid, relu, sigmoid, softplus, sqrt, tanh,
} from "./unary.js";

const f64 = { dtype: "float64", requiresGrad: true } as const;
const values = (t: Tensor | null): number[] => Array.from(t!.data);

/** Runs f on x (float64, requiring grad), backprops ones, returns [y values, dy/dx]. */
function valueAndSlope(f: (x: Tensor) => Tensor, xs: number[]): [number[], number[]] {
  const x = tensor(xs, f64);
  const y = f(x);
  y.sum().backward();
  return [values(y), values(x.grad)];
}

describe("exp, log, sqrt", () => {
  it("exp: eˣ, gradient eˣ", () => {
    const [y, dx] = valueAndSlope(exp, [0, 1, -1]);
    expect(y).toEqual([1, Math.E, 1 / Math.E]);
    expect(dx).toEqual([1, Math.E, 1 / Math.E]);
  });

  it("log: ln x, gradient 1/x; log(0) = −Infinity and log(−1) = NaN", () => {
    const [y, dx] = valueAndSlope(log, [1, Math.E, 0.5]);
    expect(y).toEqual([0, 1, -Math.LN2]);
    expect(dx).toEqual([1, 1 / Math.E, 2]);
    expect(values(log(tensor([0, -1])))).toEqual([-Infinity, NaN]);
  });

  it("sqrt: √x, gradient 1/(2√x)", () => {
    const [y, dx] = valueAndSlope(sqrt, [4, 9, 0.25]);
    expect(y).toEqual([2, 3, 0.5]);
    expect(dx).toEqual([0.25, 1 / 6, 1]);
  });

  it("upstream gradients multiply in (non-uniform dy)", () => {
    const x = tensor([0, 1], f64);
    exp(x).backward(tensor([3, -2], { dtype: "float64" }));
    expect(values(x.grad)).toEqual([3, -2 * Math.E]);
  });
});

describe("kinks take documented values", () => {
  it("abs: |x|, gradient sign(x) with abs'(0) = 0", () => {
    const [y, dx] = valueAndSlope(abs, [-2, 0, 3]);
    expect(y).toEqual([2, 0, 3]);
    expect(dx).toEqual([-1, 0, 1]);
  });

  it("relu: max(x, 0), gradient 1 for x > 0 with relu'(0) = 0", () => {
    const [y, dx] = valueAndSlope(relu, [-1, 0, 2]);
    expect(y).toEqual([0, 0, 2]);
    expect(dx).toEqual([0, 0, 1]);
  });

  it("leakyRelu: slope·x for x ≤ 0, with leakyRelu'(0) = slope", () => {
    const [y, dx] = valueAndSlope((x) => leakyRelu(x, 0.1), [-2, 0, 3]);
    expect(y).toEqual([-0.2, 0, 3]);
    expect(dx).toEqual([0.1, 0.1, 1]);
  });

  it("leakyRelu's default slope is 0.01", () => {
    const [y, dx] = valueAndSlope((x) => x.leakyRelu(), [-100, 0, 5]);
    expect(y).toEqual([-1, 0, 5]);
    expect(dx).toEqual([0.01, 0.01, 1]);
  });

  it("clamp: the gradient passes inside and at the bounds, 0 outside", () => {
    const [y, dx] = valueAndSlope((x) => clamp(x, -1, 1), [-2, -1, 0, 1, 2]);
    expect(y).toEqual([-1, -1, 0, 1, 1]);
    expect(dx).toEqual([0, 1, 1, 1, 0]);
  });

  it("clamp with one bound omitted", () => {
    const xs = [-2, 0, 2];
    expect(valueAndSlope((x) => clamp(x, 0), xs)).toEqual([[0, 0, 2], [0, 1, 1]]);
    expect(valueAndSlope((x) => clamp(x, undefined, 0), xs)).toEqual([[-2, 0, 0], [1, 1, 0]]);
    expect(valueAndSlope((x) => x.clamp(), xs)).toEqual([xs, [1, 1, 1]]);
  });

  it("clamp with min = max pins every value; the gradient passes only at that value", () => {
    expect(valueAndSlope((x) => clamp(x, 1, 1), [0, 1, 2])).toEqual([[1, 1, 1], [0, 1, 0]]);
  });
});

describe("sigmoid, tanh, softplus, logSigmoid", () => {
  it("at 0: sigmoid ½ (slope ¼), tanh 0 (slope 1), softplus ln 2 (slope ½)", () => {
    expect(valueAndSlope(sigmoid, [0])).toEqual([[0.5], [0.25]]);
    expect(valueAndSlope(tanh, [0])).toEqual([[0], [1]]);
    expect(valueAndSlope(softplus, [0])).toEqual([[Math.LN2], [0.5]]);
    expect(valueAndSlope(logSigmoid, [0])).toEqual([[-Math.LN2], [0.5]]);
  });

  it("at ±1, against the formulas", () => {
    const e = Math.E;
    const [s, ds] = valueAndSlope(sigmoid, [1, -1]);
    expect(s[0]).toBeCloseTo(1 / (1 + 1 / e), 15);
    expect(s[1]).toBeCloseTo(1 / (1 + e), 15);
    expect(ds[0]).toBeCloseTo(e / (1 + e) ** 2, 15);
    expect(ds[1]).toBeCloseTo(e / (1 + e) ** 2, 15);
    const [t, dt] = valueAndSlope(tanh, [1]);
    expect(t[0]).toBeCloseTo((e * e - 1) / (e * e + 1), 15);
    expect(dt[0]).toBeCloseTo(1 - t[0] ** 2, 15);
    const [sp, dsp] = valueAndSlope(softplus, [1]);
    expect(sp[0]).toBeCloseTo(Math.log(1 + e), 15);
    expect(dsp[0]).toBeCloseTo(s[0], 15);
    const [ls, dls] = valueAndSlope(logSigmoid, [-1]);
    expect(ls[0]).toBeCloseTo(-Math.log(1 + e), 15);
    expect(dls[0]).toBeCloseTo(1 - s[1], 15); // d/dx log σ(x) = 1 − σ(x)
  });

  it("stay finite at ±1000 in both dtypes: exact limits, no NaN, no Infinity", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor([-1000, 1000], { dtype, requiresGrad: true });
      const cases: Array<[(t: Tensor) => Tensor, number[], number[]]> = [
        [sigmoid, [0, 1], [0, 0]],
        [tanh, [-1, 1], [0, 0]],
        [softplus, [0, 1000], [0, 1]],
        [logSigmoid, [-1000, 0], [1, 0]],
      ];
      for (const [f, expected, slope] of cases) {
        x.zeroGrad();
        const y = f(x);
        y.sum().backward();
        expect(values(y).map((v) => v + 0)).toEqual(expected); // + 0: −0 counts as 0
        expect(values(x.grad).map((v) => v + 0)).toEqual(slope);
        expect(values(y).every(Number.isFinite)).toBe(true);
        expect(y.dtype).toBe(dtype);
      }
    }
  });

  it("softplus does not lose the small tail: softplus(−40) = e^−40", () => {
    expect(softplus(tensor([-40], { dtype: "float64" })).item()).toBeCloseTo(Math.exp(-40), 30);
  });
});

describe("shapes and dtypes", () => {
  it("keep the input's shape, rank 0 included, and its dtype", () => {
    const ops = [exp, log, sqrt, abs, sigmoid, tanh, relu, softplus, logSigmoid];
    for (const op of ops) {
      expect(op(tensor(2)).shape).toEqual([]);
      expect(op(tensor([[1], [2]])).shape).toEqual([2, 1]);
      expect(op(tensor([1], { dtype: "float64" })).dtype).toBe("float64");
      expect(op(tensor([1])).dtype).toBe("float32");
    }
  });

  it("float32 and float64 agree to 1e-5 relative on the same inputs", () => {
    const xs = [-3.5, -1, -0.25, 0.5, 1.5, 4];
    const positive = xs.map(Math.abs);
    const ops: Array<[(t: Tensor) => Tensor, number[]]> = [
      [exp, xs], [log, positive], [sqrt, positive], [abs, xs], [sigmoid, xs], [tanh, xs],
      [relu, xs], [(t) => leakyRelu(t, 0.3), xs], [softplus, xs], [logSigmoid, xs],
      [(t) => clamp(t, -1, 2), xs],
    ];
    for (const [op, input] of ops) {
      const y32 = op(tensor(input));
      const y64 = op(tensor(input, { dtype: "float64" }));
      y64.data.forEach((v, i) => {
        expect(Math.abs(y32.data[i] - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v));
      });
    }
  });

  it("astype converts both ways and returns the same tensor for its own dtype", () => {
    const x = tensor([0.1, 2], { requiresGrad: true });
    expect(astype(x, "float32")).toBe(x);
    const y = astype(x, "float64");
    expect(y.dtype).toBe("float64");
    expect(values(y)).toEqual([Math.fround(0.1), 2]); // the float32 value, widened exactly
    y.backward(tensor([0.1, 3], { dtype: "float64" }));
    expect(x.grad!.dtype).toBe("float32");
    expect(values(x.grad)).toEqual([Math.fround(0.1), 3]);
    expect(() => astype(x, "int8" as never)).toThrow(
      /astype: dtype must be "float32" or "float64"; got "int8"/,
    );
  });
});

describe("argument errors", () => {
  it("non-tensor inputs name the op and the role", () => {
    expect(() => exp([1, 2] as never)).toThrow(TypeError);
    expect(() => exp([1, 2] as never)).toThrow(
      "exp: x must be a Tensor; got an array (wrap it with tensor())",
    );
    expect(() => sigmoid(3 as never)).toThrow(/sigmoid: x must be a Tensor; got number/);
    expect(() => relu(undefined as never)).toThrow(/relu: x must be a Tensor; got undefined/);
    expect(() => logSigmoid(null as never)).toThrow(/logSigmoid: x must be a Tensor; got null/);
  });

  it("leakyRelu: slope must be a finite number", () => {
    const x = tensor([1]);
    expect(() => leakyRelu(x, NaN)).toThrow(RangeError);
    expect(() => leakyRelu(x, NaN)).toThrow(/leakyRelu: slope must be a finite number; got NaN/);
    expect(() => leakyRelu(x, Infinity)).toThrow(/leakyRelu: slope .*got Infinity/);
    expect(() => leakyRelu(x, "0.1" as never)).toThrow(/leakyRelu: slope/);
  });

  it("clamp: min must not exceed max, and bounds must be numbers", () => {
    const x = tensor([1]);
    expect(() => clamp(x, 2, 1)).toThrow(RangeError);
    expect(() => clamp(x, 2, 1)).toThrow("clamp: min must not exceed max; got min 2, max 1");
    expect(() => clamp(x, NaN, 1)).toThrow(/clamp: bounds must be numbers; got min NaN/);
    expect(() => clamp(x, 0, "1" as never)).toThrow(/clamp: bounds must be numbers/);
  });
});

describe("log1p and expm1", () => {
  it("log1p: ln(1 + x), exact near 0 where log(1 + x) is not; gradient 1/(1 + x)", () => {
    const [y, dx] = valueAndSlope(log1p, [0, 1e-10, Math.E - 1, -1, -2]);
    expect(y).toEqual([0, 9.999999999500001e-11, 1, -Infinity, NaN]);
    expect(dx).toEqual([1, 1 / (1 + 1e-10), 1 / Math.E, Infinity, -1]);
    expect(values(log(tensor([1 + 1e-10], f64)))[0]).not.toBe(9.999999999500001e-11);
    expect(values(tensor([1e-10, -0.25]).log1p())).toEqual(
      [Math.fround(9.999999999500001e-11), Math.fround(Math.log(0.75))]);
  });

  it("expm1: eˣ − 1, exact near 0; gradient eˣ read off the output (y + 1)", () => {
    const [y, dx] = valueAndSlope(expm1, [0, 1e-10, 1, -Infinity, Infinity]);
    expect(y).toEqual([0, 1.00000000005e-10, Math.E - 1, -1, Infinity]);
    expect(dx).toEqual([1, 1 + 1.00000000005e-10, Math.E, 0, Infinity]);
    expect(values(tensor([1e-10]).expm1())).toEqual([Math.fround(1.00000000005e-10)]);
  });

  it("check their input", () => {
    expect(() => log1p([1] as never)).toThrow(/log1p: x must be a Tensor; got an array/);
    expect(() => expm1(1 as never)).toThrow(/expm1: x must be a Tensor; got number/);
  });
});
