// Optimizer base: checkpoints through JSON resume bit-identically, load errors, schedules.
import { type Tensor, randn, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { mse } from "../loss.js";
import { Sequential } from "../sequential.js";
import { Adam, AdamW } from "./adam.js";
import type { Optimizer, OptimizerState } from "./optimizer.js";
import { stepDecay } from "./schedule.js";
import { SGD } from "./sgd.js";

const x = randn([8, 3], { seed: 11 });
const y = randn([8, 2], { seed: 12 });

function model(seed: number): Sequential {
  return new Sequential([
    new Dense({ inputSize: 3, outputSize: 4, activation: "tanh", seed }),
    new Dense({ inputSize: 4, outputSize: 2, seed: seed + 1 }),
  ]);
}

function train(net: Sequential, opt: Optimizer, steps: number): void {
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    mse(net.forward(x), y).backward();
    opt.step();
  }
}

function snapshot(net: Sequential): number[][] {
  return net.parameters().map((p) => Array.from(p.data));
}

const makers: Array<[string, (params: Tensor[]) => Optimizer]> = [
  ["SGD + momentum", (p) => new SGD(p, { learningRate: 0.1, momentum: 0.9, nesterov: true })],
  ["Adam", (p) => new Adam(p, { learningRate: 0.01, weightDecay: 0.001 })],
  ["AdamW + schedule", (p) => new AdamW(p, {
    learningRate: stepDecay({ initial: 0.02, stepSize: 2, gamma: 0.5 }),
  })],
];

describe.each(makers)("%s checkpoint", (_, make) => {
  it("resumes from stateDict → JSON → loadStateDict bit-identically", () => {
    const straight = model(1);
    train(straight, make(straight.parameters()), 6);

    const first = model(1);
    const firstOpt = make(first.parameters());
    train(first, firstOpt, 3);
    const weights = Object.entries(first.stateDict()).map(([k, t]) => [k, t.clone()] as const);
    const saved = JSON.parse(JSON.stringify(firstOpt.stateDict())) as OptimizerState;

    const resumed = model(99); // different initial weights, overwritten below
    resumed.loadStateDict(Object.fromEntries(weights));
    const resumedOpt = make(resumed.parameters());
    resumedOpt.loadStateDict(saved);
    expect(resumedOpt.stepCount).toBe(3);
    expect(resumedOpt.learningRate).toBe(firstOpt.learningRate);
    train(resumed, resumedOpt, 3);

    expect(snapshot(resumed)).toEqual(snapshot(straight));
    expect(snapshot(resumed)).not.toEqual(snapshot(first));
  });
});

describe("Optimizer.loadStateDict", () => {
  const params = (): Tensor[] => [
    tensor([1, 2, 3], { requiresGrad: true }),
    tensor([4], { requiresGrad: true }),
  ];

  it("rejects a state saved by another optimizer type", () => {
    const saved = new SGD(params(), { learningRate: 0.1 }).stateDict();
    expect(() => new Adam(params()).loadStateDict(saved)).toThrow(
      /Adam.loadStateDict: state is for SGD, not Adam/,
    );
    const adamW = new AdamW(params()).stateDict();
    expect(() => new Adam(params()).loadStateDict(adamW)).toThrow(/state is for AdamW, not Adam/);
  });

  it("rejects a wrong parameter count or buffer size", () => {
    const one = new Adam([tensor([1, 2, 3], { requiresGrad: true })]).stateDict();
    expect(() => new Adam(params()).loadStateDict(one)).toThrow(
      /Adam.loadStateDict: state has 1 parameters; expected 2/,
    );
    const opt = new Adam(params());
    const bad = opt.stateDict();
    bad.buffers[1].m = [0, 0];
    expect(() => opt.loadStateDict(bad)).toThrow(
      /Adam.loadStateDict: params\[1\].m has 2 values; expected 1/,
    );
    const missing = opt.stateDict();
    delete missing.buffers[0].v;
    expect(() => opt.loadStateDict(missing)).toThrow(
      /params\[0\].v has undefined values; expected 3/,
    );
  });

  it("rejects a bad step count", () => {
    const opt = new SGD(params(), { learningRate: 0.1 });
    const saved = { ...opt.stateDict(), step: -2 };
    expect(() => opt.loadStateDict(saved)).toThrow(
      /SGD.loadStateDict: step must be a non-negative integer; got -2/,
    );
  });

  it("leaves the state unchanged when loading fails", () => {
    const ps = params();
    const opt = new SGD(ps, { learningRate: 0.1, momentum: 0.5 });
    const bad = opt.stateDict();
    bad.buffers[0].velocity = [7, 8, 9];
    bad.buffers[1].velocity = [1, 2]; // wrong size: found only after params[0]
    expect(() => opt.loadStateDict({ ...bad, step: 5 })).toThrow(/params\[1\].velocity/);
    expect(opt.stateDict()).toEqual({ type: "SGD", step: 0, buffers: [
      { velocity: [0, 0, 0] }, { velocity: [0] },
    ] });
  });
});

describe("Optimizer schedule", () => {
  it("drives the learning rate of each step from the step count", () => {
    const w = tensor([0], { dtype: "float64", requiresGrad: true });
    const seen: number[] = [];
    const opt = new SGD([w], {
      learningRate: (step) => {
        seen.push(step);
        return stepDecay({ initial: 1, stepSize: 2, gamma: 0.5 })(step);
      },
    });
    const rates: number[] = [];
    for (let i = 0; i < 4; i++) {
      rates.push(opt.learningRate);
      w.grad = tensor([1], { dtype: "float64" });
      opt.step();
    }
    expect(rates).toEqual([1, 1, 0.5, 0.5]);
    expect(w.data[0]).toBe(-3); // −(1 + 1 + 0.5 + 0.5)
    expect(seen.filter((s, i) => seen.indexOf(s) === i)).toEqual([0, 1, 2, 3]);
    expect(opt.learningRate).toBe(0.25);
  });

  it("rejects a learning rate that is neither a number nor a function", () => {
    const w = tensor([0], { requiresGrad: true });
    expect(() => new SGD([w], { learningRate: "0.1" as unknown as number })).toThrow(
      /SGD: learningRate must be a number or a schedule function/,
    );
  });

  it("refuses a schedule that returns NaN or a negative rate, before touching parameters", () => {
    const w = tensor([1], { dtype: "float64", requiresGrad: true });
    const opt = new SGD([w], { learningRate: (step) => (step === 0 ? 0.1 : NaN) });
    w.grad = tensor([1], { dtype: "float64" });
    opt.step();
    expect(w.data[0]).toBeCloseTo(0.9, 12);
    expect(() => opt.step()).toThrow(
      "SGD: the learning-rate schedule returned NaN at step 1; it must return a finite number ≥ 0",
    );
    expect(w.data[0]).toBeCloseTo(0.9, 12);
    const negative = new SGD([w], { learningRate: () => -1 });
    expect(() => negative.step()).toThrow(/returned -1 at step 0/);
  });

  it("scales the rate (or the schedule) by learningRateScale, kept in the state dict", () => {
    const w = tensor([0], { dtype: "float64", requiresGrad: true });
    const opt = new SGD([w], { learningRate: stepDecay({ initial: 1, stepSize: 2, gamma: 0.5 }) });
    opt.learningRateScale = 0.1;
    expect(opt.learningRate).toBeCloseTo(0.1, 15);
    opt.stepCount = 2;
    expect(opt.learningRate).toBeCloseTo(0.05, 15);
    const saved = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerState;
    expect(saved.learningRateScale).toBe(0.1);
    const other = new SGD([w], { learningRate: 1 });
    other.loadStateDict(saved);
    expect(other.learningRateScale).toBe(0.1);
    expect(new SGD([w], { learningRate: 1 }).stateDict()).not.toHaveProperty("learningRateScale");
    expect(() => other.loadStateDict({ ...saved, learningRateScale: 0 })).toThrow(
      "SGD.loadStateDict: learningRateScale must be a positive number; got 0",
    );
    other.learningRateScale = Number.NaN;
    expect(() => other.step()).toThrow(/learningRateScale must be a positive number; got NaN/);
  });
});
