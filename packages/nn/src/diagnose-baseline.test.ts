// Unit tests for frequencyBaseline: the constant-predictor loss from class frequencies.
import { describe, expect, it } from "vitest";
import { frequencyBaseline } from "./diagnose-baseline.js";

describe("frequencyBaseline", () => {
  it("gives the BCE sum and the label entropy for balanced classes", () => {
    const p = new Array<number>(10).fill(0.1);
    const bce = -10 * (0.1 * Math.log(0.1) + 0.9 * Math.log(0.9));
    expect(frequencyBaseline("bce", p)).toBeCloseTo(bce, 12);
    expect(frequencyBaseline("bce", p)).toBeCloseTo(3.2508, 4);
    expect(frequencyBaseline("crossEntropy", p)).toBeCloseTo(Math.log(10), 12);
  });

  it("is 0 when one class has every sample", () => {
    expect(frequencyBaseline("bce", [1, 0, 0])).toBe(0);
    expect(frequencyBaseline("crossEntropy", [1, 0, 0])).toBe(0);
  });
});
