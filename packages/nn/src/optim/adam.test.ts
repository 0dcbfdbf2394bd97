// Adam and AdamW: steps against updates computed by hand, decoupled decay, validation errors.
import { type Tensor, square, sub, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, AdamW } from "./adam.js";

function param(values: number[]): Tensor {
  return tensor(values, { dtype: "float64", requiresGrad: true });
}

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(tol));
}

describe("Adam", () => {
  it("first step is lr·g/(|g| + eps): bias correction makes m̂ = g, v̂ = g²", () => {
    const w = param([1, -2, 0.5, 3]);
    const g = [0.3, -4, 1e-8, 0];
    setGrad(w, g);
    new Adam([w], { learningRate: 0.01 }).step();
    // ≈ lr·sign(g) when |g| ≫ eps; exactly lr/2 when |g| = eps; no move at g = 0
    expectClose(w.data, [
      1 - (0.01 * 0.3) / (0.3 + 1e-8),
      -2 + (0.01 * 4) / (4 + 1e-8),
      0.5 - 0.01 / 2,
      3,
    ]);
    expect(1 - w.data[0]).toBeCloseTo(0.01, 9);
    expect(w.data[1] + 2).toBeCloseTo(0.01, 9);
  });

  it("matches two steps computed by hand", () => {
    const w = param([1]);
    const opt = new Adam([w], { learningRate: 0.01 });
    // t = 1, g = 0.5: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25
    // w = 1 − 0.01·0.5/(0.5 + 1e-8) = 0.9900000002
    setGrad(w, [0.5]);
    opt.step();
    expect(w.data[0]).toBeCloseTo(0.9900000002, 15);
    // t = 2, g = −0.25: m = 0.045 − 0.025 = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
    // m̂ = 0.02/(1 − 0.81) = 2/19, v̂ = 0.00031225/(1 − 0.998001) = 0.00031225/0.001999
    // w = 0.9900000002 − 0.01·(2/19)/(√v̂ + 1e-8) = 0.98733662987078…
    setGrad(w, [-0.25]);
    opt.step();
    const vHat = 0.00031225 / 0.001999;
    expect(w.data[0]).toBeCloseTo(0.9900000002 - (0.01 * (2 / 19)) / (Math.sqrt(vHat) + 1e-8), 14);
    expect(w.data[0]).toBeCloseTo(0.9873366298707846, 14);
    const { m, v, step } = opt.stateDict().buffers[0];
    expectClose(m, [0.02]);
    expectClose(v, [0.00031225], 1e-18);
    expect(step).toEqual([2]);
  });

  it("adds L2 weight decay to the gradient, where the adaptive scaling normalises it", () => {
    // g = 0 but wd·w = 0.02: the first step is a full lr-sized step towards 0
    const w = param([2]);
    setGrad(w, [0]);
    new Adam([w], { learningRate: 0.001, weightDecay: 0.01 }).step();
    expect(w.data[0]).toBeCloseTo(2 - (0.001 * 0.02) / (0.02 + 1e-8), 15);
  });

  it("counts steps per parameter: a late first gradient still gets m̂ = g", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([a, b], { learningRate: 0.1 });
    setGrad(a, [1]);
    opt.step();
    expect(b.data[0]).toBe(1);
    setGrad(b, [2]);
    opt.step();
    expect(b.data[0]).toBeCloseTo(1 - (0.1 * 2) / (2 + 1e-8), 15);
    expect(opt.stateDict().buffers.map((s) => s.step[0])).toEqual([2, 1]);
  });

  it("minimises a quadratic", () => {
    const w = param([5, -3]);
    const target = tensor([1, 2], { dtype: "float64" });
    const opt = new Adam([w], { learningRate: 0.1 });
    for (let i = 0; i < 500; i++) {
      opt.zeroGrad();
      sum(square(sub(w, target))).backward();
      opt.step();
    }
    expectClose(w.data, [1, 2], 1e-3);
  });

  it("updates float32 parameters", () => {
    const w = tensor([1, -1], { requiresGrad: true });
    w.grad = tensor([0.5, -0.5]);
    new Adam([w], { learningRate: 0.01 }).step();
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(Array.from(w.data)).toEqual([Math.fround(0.99), Math.fround(-0.99)]);
  });

  it("uses the defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay", () => {
    const opt = new Adam([param([1])]);
    expect([opt.learningRate, opt.beta1, opt.beta2, opt.eps, opt.weightDecay]).toEqual([
      1e-3, 0.9, 0.999, 1e-8, 0,
    ]);
  });

  it("validates hyperparameters with RangeErrors in the house format", () => {
    const p = [param([1])];
    expect(() => new Adam(p, { beta1: 1.2 })).toThrow(
      new RangeError("Adam: beta1 must be in [0, 1); got 1.2"),
    );
    expect(() => new Adam(p, { beta1: -0.1 })).toThrow(/Adam: beta1 must be in \[0, 1\); got -0.1/);
    expect(() => new Adam(p, { beta2: 1 })).toThrow(/Adam: beta2 must be in \[0, 1\); got 1/);
    expect(() => new Adam(p, { beta2: NaN })).toThrow(/beta2 .* got NaN/);
    expect(() => new Adam(p, { eps: 0 })).toThrow(/Adam: eps must be a positive number; got 0/);
    expect(() => new Adam(p, { weightDecay: -0.5 })).toThrow(
      /Adam: weightDecay must be ≥ 0; got -0.5/,
    );
    expect(() => new Adam(p, { learningRate: -1 })).toThrow(
      /Adam: learningRate must be a positive number; got -1/,
    );
    expect(() => new AdamW(p, { beta1: 1.2 })).toThrow(
      /^AdamW: beta1 must be in \[0, 1\); got 1.2$/,
    );
  });
});

describe("AdamW", () => {
  it("decays decoupled: w ← w − lr·wd·w, then the Adam step on the plain gradient", () => {
    const w = param([2, -1]);
    setGrad(w, [0, 0.5]);
    new AdamW([w], { learningRate: 0.001, weightDecay: 0.1 }).step();
    // g = 0: only the decay, 2·(1 − 1e-4); g = 0.5: decay, then ≈ lr·sign(g)
    expectClose(w.data, [
      2 - 0.001 * 0.1 * 2,
      -1 + 0.001 * 0.1 - (0.001 * 0.5) / (0.5 + 1e-8),
    ]);
  });

  it("differs from Adam's L2 penalty as expected", () => {
    const [a, b] = [param([2]), param([2])];
    setGrad(a, [0]);
    setGrad(b, [0]);
    new Adam([a], { learningRate: 0.001, weightDecay: 0.01 }).step();
    new AdamW([b], { learningRate: 0.001, weightDecay: 0.01 }).step();
    // Adam: the penalty 0.02 is normalised into a full step of ≈ lr = 1e-3;
    // AdamW: the decay is lr·wd·w = 2e-5, untouched by the adaptive denominator
    expect(2 - a.data[0]).toBeCloseTo(1e-3, 9);
    expect(2 - b.data[0]).toBeCloseTo(2e-5, 15);
  });

  it("defaults to weightDecay 0.01 and equals Adam exactly with weightDecay 0", () => {
    expect(new AdamW([param([1])]).weightDecay).toBe(0.01);
    const [a, b] = [param([1, -2, 3]), param([1, -2, 3])];
    const optA = new Adam([a], { learningRate: 0.05 });
    const optB = new AdamW([b], { learningRate: 0.05, weightDecay: 0 });
    for (const g of [[0.1, 0.2, -0.3], [1, -1, 0.5], [-0.2, 0, 2]]) {
      setGrad(a, g);
      setGrad(b, g);
      optA.step();
      optB.step();
    }
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it("has its own state type", () => {
    expect(new AdamW([param([1])]).stateDict().type).toBe("AdamW");
    expect(new Adam([param([1])]).stateDict().type).toBe("Adam");
  });
});
