// The fast finiteness test (column sums on the backend) against an element-by-element scan,
// and the findings it leads to.
import { Tensor, residentStorage, tensor } from "@tapegrad/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FiniteCheck, countNonFinite, isAllFinite, nonFiniteFinding } from "./finite.js";

const scratch = residentStorage("float32", 256) as Float32Array;

describe("isAllFinite", () => {
  it("agrees with a scan for NaN/±Inf anywhere, any length, resident or not", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity, 0),
      fc.boolean(),
      (n, at, bad, resident) => {
        const data = resident ? residentStorage("float32", n) as Float32Array : new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 10;
        data[at % n] = bad;
        expect(isAllFinite(data, scratch)).toBe(countNonFinite(data) === 0);
      },
    ), { numRuns: 200 });
  });

  it("is not fooled by finite values whose column sums overflow", () => {
    const huge = new Float32Array(1024).fill(3e38);
    expect(isAllFinite(huge, scratch)).toBe(true);
    expect(isAllFinite(Float64Array.of(1, Number.NaN), scratch)).toBe(false);
  });
});

describe("FiniteCheck and nonFiniteFinding", () => {
  const param = (name: string, values: number[], grad?: number[]): [string, Tensor] => {
    const p = tensor(values, { requiresGrad: true });
    if (grad) p.grad = tensor(grad);
    return [name, p];
  };

  it("checks gradients and parameters; names the first non-finite one", () => {
    const named = [param("a.weight", [1, 2], [0.5, 0.5]), param("b.bias", [1], [Infinity])];
    const check = new FiniteCheck(named);
    expect(check.gradientsFinite()).toBe(false);
    expect(check.parametersFinite()).toBe(true);
    const finding = nonFiniteFinding({
      phase: "step", position: { step: 4, epoch: 2, batch: 1 }, loss: 0.3, parameters: named,
    });
    expect(finding).toMatchObject({ code: "non-finite", layer: "b", value: 1 });
    expect(finding?.message).toBe("the gradient of b.bias holds 1 NaN/Inf value at step 4 " +
      "(epoch 2, batch 1), the first non-finite value of this run");
    expect(finding?.cause).toMatch(/^the training diverged/);
  });

  it("reports parameters after an epoch, and nothing when all is finite", () => {
    const named = [param("w", [Number.NaN, Number.NaN, 1])];
    expect(nonFiniteFinding({ phase: "epoch", position: { step: 30, epoch: 3 },
      parameters: named })?.message).toBe("parameter w holds 2 NaN/Inf values after the " +
      "updates of epoch 3 (by step 30), the first non-finite value of this run");
    expect(nonFiniteFinding({ phase: "step", position: { step: 1 }, loss: 1,
      parameters: [param("v", [1], [2])] })).toBeNull();
  });
});
