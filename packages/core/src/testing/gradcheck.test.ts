// Unit tests for gradcheck: reports on correct gradients, pinpoints a deliberately wrong vjp.
import { describe, expect, it } from "vitest";
import { randn, tensor } from "../creation.js";
import { matmul, mul, sum, tanh } from "../ops/all.js";
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { GradcheckError, gradcheck, referenceMismatches } from "./index.js";

const f64 = { dtype: "float64" } as const;

/** a·b² whose vjp for b is wrong by a factor of 1.5 (the vjp for a is right). */
function wrongVjp(a: Tensor, b: Tensor): Tensor {
  const data = a.data.map((v, i) => v * b.data[i] * b.data[i]);
  return record("wrongVjp", [a, b], data, a.shape, (dy) => [
    mul(mul(dy, b), b), // d/da = b²
    mul(mul(mul(dy, a), b), 3), // d/db = 2ab, deliberately 3ab
  ]);
}

function caught(fn: () => unknown): GradcheckError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GradcheckError);
    return e as GradcheckError;
  }
  throw new Error("expected a GradcheckError");
}

describe("gradcheck, full mode", () => {
  it("returns a report for correct gradients", () => {
    const a = randn([3, 4], { ...f64, seed: 1 });
    const b = randn([4, 2], { ...f64, seed: 2 });
    const report = gradcheck((x, y) => tanh(matmul(x, y)), [a, b]);
    expect(report.ok).toBe(true);
    expect(report.mode).toBe("full");
    expect(report.checked).toBe(12 + 8);
    expect(report.maxAbsError).toBeGreaterThanOrEqual(0);
    expect(report.maxAbsError).toBeLessThan(1e-8);
    expect(report.maxRelError).toBeLessThan(1e-6);
  });

  it("is not thrown off by large outputs an element does not reach", () => {
    // ⟨w, x ⊙ c⟩ with c = [1, 1e6, 1e6, …]: the weighted total is ~3e7, so differencing two
    // totals rounds by ~4e-9 / 2e-6 = 2e-3 on element 0, whose gradient w₀ needs 1e-6.
    const n = 1000;
    const c = tensor(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 1e6)), f64);
    const x = randn([n], { ...f64, seed: 3 });
    const report = gradcheck((t) => mul(t, c), [x]);
    expect(report.checked).toBe(n);
    expect(report.maxAbsError).toBeLessThan(1e-3);
  });

  it("checks a function that returns its input itself", () => {
    const a = tensor([0.5, -2], f64);
    const report = gradcheck((x) => x, [a]);
    expect(report.maxAbsError).toBeLessThan(1e-9);
  });

  it("refuses an f whose output shape changes with the input's values", () => {
    const a = tensor([1, 2], f64);
    expect(() => gradcheck((x) => (x.data[0] > 1 ? sum(x) : x), [a])).toThrow(
      "gradcheck: f gave [] at a shifted input but [2] at the given one; its output shape " +
        "must not change");
  });

  it("does not modify its inputs", () => {
    const a = tensor([1, 2, 3], f64);
    gradcheck((x) => mul(x, x), [a]);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
  });

  it("passes the correct half of a custom op and fails the wrong one", () => {
    const a = tensor([[1, 2], [3, 4]], f64);
    const b = tensor([[0, 0.5], [1, 2]], f64);
    expect(gradcheck((x) => wrongVjp(x, b), [a]).ok).toBe(true);
    const error = caught(() => gradcheck(wrongVjp, [a, b]));
    // Element [0, 0] has b = 0, where 2ab = 3ab = 0; the first wrong one is [0, 1].
    const match = /^gradcheck: inputs\[1\] \[2, 2\] at index \[0, 1\]: tape (\S+), numeric (\S+),/
      .exec(error.message);
    expect(match).not.toBeNull();
    const [tape, numeric] = [Number(match![1]), Number(match![2])];
    expect(tape / numeric).toBeCloseTo(1.5, 6);
    expect(error.message).toMatch(/\|diff\| \S+ \(atol 1e-8, rtol 0.000001\)$/);
  });

  it("refuses float32 inputs with a clear message", () => {
    const a = tensor([1, 2]);
    expect(() => gradcheck((x) => mul(x, x), [tensor([1], f64), a])).toThrow(
      /gradcheck: inputs\[1\] is float32; finite differences need float64/,
    );
    expect(() => gradcheck((x) => sum(x), [a])).toThrow(TypeError);
  });

  it("names inputs that are not a list and an f that returns no tensor", () => {
    const x = tensor([1, 2], f64);
    expect(() => gradcheck((t) => sum(t), x as never)).toThrow(
      "gradcheck: inputs must be an array of tensors, e.g. [x]; got a Tensor");
    expect(() => gradcheck(() => 3 as never, [x]))
      .toThrow("gradcheck: f must return a Tensor; got the number 3");
  });
});

describe("gradcheck, directional mode", () => {
  it("returns a report for correct gradients", () => {
    const a = randn([5, 3], { ...f64, seed: 3 });
    const report = gradcheck((x) => tanh(mul(x, x)), [a], { mode: "directional" });
    expect(report.mode).toBe("directional");
    expect(report.checked).toBe(4);
    expect(report.maxAbsError).toBeLessThan(1e-7);
    const seven = gradcheck((x) => tanh(x), [a], { mode: "directional", directions: 7 });
    expect(seven.checked).toBe(7);
  });

  it("catches the wrong vjp too", () => {
    const a = randn([3, 3], { ...f64, seed: 4 });
    const b = randn([3, 3], { ...f64, seed: 5 });
    const error = caught(() => gradcheck(wrongVjp, [a, b], { mode: "directional" }));
    expect(error.message).toMatch(
      /^gradcheck: directional derivative 0 disagrees: tape \S+, numeric \S+ \(atol/,
    );
  });
});

describe("referenceMismatches", () => {
  const tolerance = { atol: 1e-12, rtol: 1e-10 };
  it("matches NaN with NaN, ±∞ exactly and finite values within atol + rtol·|reference|", () => {
    expect(referenceMismatches([NaN, Infinity, -Infinity, 1 + 1e-11, 0], [NaN, Infinity,
      -Infinity, 1, -0], tolerance)).toEqual([]);
  });
  it("lists each differing position with both values", () => {
    expect(referenceMismatches([1, 0, Infinity, 2e-10, NaN], [NaN, NaN, 1e308, 1e-10, 3],
      tolerance)).toEqual([
      "[0] got 1, expected NaN", "[1] got 0, expected NaN", "[2] got Infinity, expected 1e+308",
      "[3] got 2e-10, expected 1e-10", "[4] got NaN, expected 3",
    ]);
  });
  it("tells ±0 apart only with zeroSign, and refuses a length mismatch", () => {
    expect(referenceMismatches([0], [-0], { ...tolerance, zeroSign: true }))
      .toEqual(["[0] got 0, expected -0"]);
    expect(referenceMismatches([1, 2], [1], tolerance)).toEqual(["2 values, expected 1"]);
  });
});
