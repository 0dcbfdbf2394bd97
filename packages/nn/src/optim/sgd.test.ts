// SGD: single steps and momentum checked against updates computed by hand; validation errors.
import { type Tensor, square, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { Sequential } from "../sequential.js";
import { Adam } from "./adam.js";
import { SGD } from "./sgd.js";

/** A float64 parameter (so hand-computed doubles compare exactly). */
function param(values: number[]): Tensor {
  return tensor(values, { dtype: "float64", requiresGrad: true });
}

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

describe("SGD", () => {
  it("takes one plain step w ← w − lr·g", () => {
    const w = param([1, -2, 3]);
    setGrad(w, [0.5, -1, 2]);
    new SGD([w], { learningRate: 0.1 }).step();
    expect(Array.from(w.data)).toEqual([1 - 0.1 * 0.5, -2 + 0.1 * 1, 3 - 0.1 * 2]);
    expect(w.data[0]).toBeCloseTo(0.95, 15);
  });

  it("uses the gradient backward computed: loss = Σ w², g = 2w", () => {
    const w = param([1.5, -0.5]);
    sum(square(w)).backward();
    expect(Array.from(w.grad!.data)).toEqual([3, -1]);
    new SGD([w], { learningRate: 0.25 }).step();
    expect(Array.from(w.data)).toEqual([0.75, -0.25]);
  });

  it("rounds the update into a float32 parameter", () => {
    const w = tensor([0.1], { requiresGrad: true });
    w.grad = tensor([0.3]);
    new SGD([w], { learningRate: 0.01 }).step();
    expect(w.data[0]).toBe(Math.fround(Math.fround(0.1) - 0.01 * Math.fround(0.3)));
  });

  it("accumulates momentum over 3 steps: v ← μv + g, w ← w − lr·v", () => {
    const w = param([1]);
    const opt = new SGD([w], { learningRate: 0.1, momentum: 0.9 });
    // v1 = 1, w = 1 − 0.1 = 0.9; v2 = 0.9 + 2 = 2.9, w = 0.9 − 0.29 = 0.61;
    // v3 = 0.9·2.9 − 1 = 1.61, w = 0.61 − 0.161 = 0.449
    const expected = [0.9, 0.61, 0.449];
    [1, 2, -1].forEach((g, i) => {
      setGrad(w, [g]);
      opt.step();
      expect(w.data[0]).toBeCloseTo(expected[i], 14);
    });
    expect(opt.stateDict().buffers[0].velocity[0]).toBeCloseTo(1.61, 14);
    expect(opt.stepCount).toBe(3);
  });

  it("applies Nesterov momentum: w ← w − lr·(g + μv)", () => {
    const w = param([1]);
    const opt = new SGD([w], { learningRate: 0.1, momentum: 0.9, nesterov: true });
    // step 1: v = 1, d = 1 + 0.9·1 = 1.9, w = 1 − 0.19 = 0.81
    setGrad(w, [1]);
    opt.step();
    expect(w.data[0]).toBeCloseTo(0.81, 14);
    // step 2: v = 0.9·1 + 2 = 2.9, d = 2 + 0.9·2.9 = 4.61, w = 0.81 − 0.461 = 0.349
    setGrad(w, [2]);
    opt.step();
    expect(w.data[0]).toBeCloseTo(0.349, 14);
  });

  it("adds the L2 weight decay to the gradient: g + wd·w", () => {
    const w = param([2, -4]);
    setGrad(w, [0.5, 0]);
    new SGD([w], { learningRate: 0.1, weightDecay: 0.1 }).step();
    // d = [0.5 + 0.2, 0 − 0.4] → w = [2 − 0.07, −4 + 0.04]
    expect(w.data[0]).toBeCloseTo(1.93, 14);
    expect(w.data[1]).toBeCloseTo(-3.96, 14);
  });

  it("leaves parameters without a gradient (and their velocity) untouched", () => {
    const a = param([1, 2]);
    const b = param([3, 4]);
    const opt = new SGD([a, b], { learningRate: 0.5, momentum: 0.5 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(Array.from(a.data)).toEqual([0.5, 1.5]);
    expect(Array.from(b.data)).toEqual([3, 4]);
    expect(opt.stateDict().buffers[1].velocity).toEqual([0, 0]);
  });

  it("zeroGrad clears every gradient", () => {
    const a = param([1]);
    setGrad(a, [1]);
    const opt = new SGD([a], { learningRate: 0.1 });
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    opt.step();
    expect(a.data[0]).toBe(1);
  });

  it("validates its hyperparameters with RangeErrors in the house format", () => {
    const p = [param([1])];
    expect(() => new SGD(p, { learningRate: 0.1, momentum: 1 })).toThrow(
      new RangeError("SGD: momentum must be in [0, 1); got 1"),
    );
    expect(() => new SGD(p, { learningRate: 0.1, momentum: -0.1 })).toThrow(/got -0.1/);
    expect(() => new SGD(p, { learningRate: 0.1, momentum: NaN })).toThrow(/momentum.*NaN/);
    expect(() => new SGD(p, { learningRate: 0.1, weightDecay: -1 })).toThrow(
      /SGD: weightDecay must be ≥ 0; got -1/,
    );
    expect(() => new SGD(p, { learningRate: 0.1, nesterov: true })).toThrow(
      /SGD: nesterov needs momentum > 0/,
    );
    for (const lr of [0, -1, NaN, Infinity]) {
      expect(() => new SGD(p, { learningRate: lr })).toThrow(RangeError);
    }
    expect(() => new SGD(p, { learningRate: 0 })).toThrow(
      /SGD: learningRate must be a positive number; got 0/,
    );
  });

  it("rejects parameters that do not require grad", () => {
    const frozen = tensor([1]);
    expect(() => new SGD([param([1]), frozen], { learningRate: 0.1 })).toThrow(
      /SGD: params\[1\] does not require grad/,
    );
  });

  it("names a model or a non-tensor passed as the parameters", () => {
    const model = new Sequential([new Dense({ inputSize: 2, outputSize: 1 })]);
    expect(() => new Adam(model as never)).toThrow(
      "Adam: params must be an array of tensors, e.g. model.parameters(); got a Sequential");
    expect(() => new SGD([param([1]), 3] as never, { learningRate: 0.1 }))
      .toThrow("SGD: params[1] is not a Tensor; got the number 3");
  });
});
