// Learning-rate schedules: values at chosen steps computed by hand, and argument validation.
import { describe, expect, it } from "vitest";
import { constant, cosineDecay, stepDecay } from "./schedule.js";

describe("constant", () => {
  it("returns the same rate at every step", () => {
    const s = constant(0.3);
    expect([0, 1, 1000].map(s)).toEqual([0.3, 0.3, 0.3]);
  });

  it("validates its value", () => {
    expect(() => constant(0)).toThrow(
      new RangeError("constant: value must be a positive number; got 0"),
    );
    expect(() => constant(NaN)).toThrow(/got NaN/);
  });
});

describe("stepDecay", () => {
  it("multiplies by gamma every stepSize steps", () => {
    const s = stepDecay({ initial: 0.8, stepSize: 3, gamma: 0.5 });
    // steps 0–2: 0.8; 3–5: 0.4; 6–8: 0.2; 9: 0.1
    expect([0, 2, 3, 5, 6, 8, 9].map(s)).toEqual([0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1]);
    expect(stepDecay({ initial: 1, stepSize: 10, gamma: 0.1 })(25)).toBeCloseTo(0.01, 15);
  });

  it("is constant with gamma 1", () => {
    const s = stepDecay({ initial: 0.1, stepSize: 1, gamma: 1 });
    expect([0, 7, 100].map(s)).toEqual([0.1, 0.1, 0.1]);
  });

  it("validates its arguments and the step", () => {
    const ok = { initial: 0.1, stepSize: 2, gamma: 0.5 };
    expect(() => stepDecay({ ...ok, initial: -1 })).toThrow(
      /stepDecay: initial must be a positive number; got -1/,
    );
    expect(() => stepDecay({ ...ok, stepSize: 0 })).toThrow(
      /stepDecay: stepSize must be a positive integer; got 0/,
    );
    expect(() => stepDecay({ ...ok, stepSize: 1.5 })).toThrow(/got 1.5/);
    expect(() => stepDecay({ ...ok, gamma: 0 })).toThrow(
      /stepDecay: gamma must be in \(0, 1\]; got 0/,
    );
    expect(() => stepDecay({ ...ok, gamma: 1.1 })).toThrow(/got 1.1/);
    expect(() => stepDecay(ok)(-1)).toThrow(
      /stepDecay: step must be a non-negative integer; got -1/,
    );
    expect(() => stepDecay(ok)(0.5)).toThrow(RangeError);
  });
});

describe("cosineDecay", () => {
  it("follows half a cosine from initial to minimum without warmup", () => {
    const s = cosineDecay({ initial: 1, totalSteps: 4 });
    // (1 + cos(π·k/4)) / 2 for k = 0..4: 1, (1 + √2/2)/2, 1/2, (1 − √2/2)/2, 0
    const r = Math.SQRT1_2;
    const expected = [1, (1 + r) / 2, 0.5, (1 - r) / 2, 0];
    [0, 1, 2, 3, 4].forEach((k) => expect(s(k)).toBeCloseTo(expected[k], 15));
    expect(s(4)).toBe(0);
    expect(s(100)).toBe(0);
  });

  it("decays to the minimum and stays there", () => {
    const s = cosineDecay({ initial: 0.5, totalSteps: 10, minimum: 0.1 });
    expect(s(0)).toBe(0.5);
    expect(s(5)).toBeCloseTo(0.3, 15); // midpoint: 0.1 + 0.4·(1 + cos(π/2))/2
    expect(s(10)).toBeCloseTo(0.1, 15);
    expect(s(11)).toBeCloseTo(0.1, 15);
  });

  it("warms up linearly, reaching initial at step warmupSteps − 1, then decays", () => {
    const s = cosineDecay({ initial: 1, totalSteps: 12, warmupSteps: 4 });
    // warmup: (s + 1)/4 = 0.25, 0.5, 0.75, 1; then (1 + cos(π·(s − 4)/8))/2
    expect([0, 1, 2, 3].map(s)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(s(4)).toBe(1);
    expect(s(8)).toBeCloseTo(0.5, 15);
    expect(s(6)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 15);
    expect(s(12)).toBeCloseTo(0, 15);
  });

  it("validates its arguments", () => {
    const ok = { initial: 1, totalSteps: 10 };
    expect(() => cosineDecay({ ...ok, initial: 0 })).toThrow(
      /cosineDecay: initial must be a positive number; got 0/,
    );
    expect(() => cosineDecay({ ...ok, totalSteps: 0 })).toThrow(
      /cosineDecay: totalSteps must be a positive integer; got 0/,
    );
    expect(() => cosineDecay({ ...ok, minimum: 2 })).toThrow(
      /cosineDecay: minimum must be in \[0, initial 1\]; got 2/,
    );
    expect(() => cosineDecay({ ...ok, minimum: -0.1 })).toThrow(/got -0.1/);
    expect(() => cosineDecay({ ...ok, warmupSteps: 10 })).toThrow(
      /cosineDecay: warmupSteps must be an integer in \[0, totalSteps 10\); got 10/,
    );
    expect(() => cosineDecay({ ...ok, warmupSteps: -1 })).toThrow(/got -1/);
    expect(() => cosineDecay(ok)(NaN)).toThrow(/cosineDecay: step must be a non-negative integer/);
  });
});
