// Unit tests for the reductions and the softmax family: exact values, ties, stability, errors.
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { Tensor } from "../tensor.js";
import {
  argmax, argmin, logSoftmax, logsumexp, max, mean, min, softmax, sum,
} from "./all.js";

const f64 = { dtype: "float64" } as const;
/** x = [[1, 5, 3], [4, 2, 6]] in float64. */
const x23 = (requiresGrad = false) => tensor([[1, 5, 3], [4, 2, 6]], { ...f64, requiresGrad });
const values = (t: Tensor) => Array.from(t.data);

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 14): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe("sum and mean", () => {
  it("round a float32 sum once per output, whatever the shape", () => {
    // 1 + 2⁻²⁴ + … : adding 2⁻²⁴ to 1 in float32 is lost, in a double accumulator it is kept.
    const data = Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : 2 ** -24));
    const exact = Math.fround(1 + 23 * 2 ** -24);
    for (const shape of [[24], [4, 6], [2, 3, 4], [24, 1]]) {
      expect(sum(tensor(data, shape)).data[0]).toBe(exact);
    }
    // Trailing axes [1, 2] of [2, 3, 4] fold into one run per output.
    const x = tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    expect(Array.from(sum(x, [1, 2]).data)).toEqual([66, 210]);
    expect(Array.from(sum(x, [0, 1]).data)).toEqual([60, 66, 72, 78]);
  });

  it("reduce over all axes, one axis, negative axes and axis lists", () => {
    const x = x23();
    expect(sum(x).shape).toEqual([]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, 1).toArray()).toEqual([9, 12]);
    expect(sum(x, -1).toArray()).toEqual([9, 12]);
    expect(sum(x, -2).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, [1, 0]).item()).toBe(21);
    expect(mean(x).item()).toBe(3.5);
    expect(mean(x, 0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(mean(x, -1).toArray()).toEqual([3, 4]);
  });

  it("keepdims keeps reduced axes as size 1", () => {
    const x = x23();
    expect(sum(x, 1, true).shape).toEqual([2, 1]);
    expect(sum(x, 1, true).toArray()).toEqual([[9], [12]]);
    expect(sum(x, undefined, true).toArray()).toEqual([[21]]);
    expect(mean(x, -2, true).toArray()).toEqual([[2.5, 3.5, 4.5]]);
  });

  it("a rank-0 scalar and a size-1 axis", () => {
    expect(sum(tensor(5, f64)).item()).toBe(5);
    expect(sum(tensor([[7, 8]], f64), 0).toArray()).toEqual([7, 8]);
  });

  it("gradients spread dy back over the reduced axes", () => {
    const x = x23(true);
    sum(x, 0).backward(tensor([1, 2, 3], f64));
    expect(x.grad?.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    const y = x23(true);
    mean(y, 1, true).backward(tensor([[3], [6]], f64));
    expect(y.grad?.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
  });

  it("the mean of no elements is NaN, as PyTorch's (the sum is 0)", () => {
    const empty = tensor([], f64);
    expect(sum(empty).item()).toBe(0);
    expect(mean(empty).item()).toBeNaN();
    const rows = new Tensor(new Float64Array(0), [2, 0]);
    expect(mean(rows, 1).toArray()).toEqual([NaN, NaN]);
    expect(mean(rows, 0).toArray()).toEqual([]);
  });

  it("reject a bad axis and a repeated axis", () => {
    expect(() => sum(x23(), 3)).toThrow(/sum: axis 3 is out of range for rank 2/);
    expect(() => mean(x23(), -3)).toThrow(/mean: axis -3 is out of range for rank 2/);
    expect(() => sum(x23(), [0, -2])).toThrow(/sum: repeated axis in \[0, -2\]/);
  });
});

describe("max, min, argmax, argmin", () => {
  it("values over all axes, one axis, negative axes and keepdims", () => {
    const x = x23();
    expect(max(x).item()).toBe(6);
    expect(min(x).item()).toBe(1);
    expect(max(x, 1).toArray()).toEqual([5, 6]);
    expect(max(x, -2).toArray()).toEqual([4, 5, 6]);
    expect(min(x, 0, true).toArray()).toEqual([[1, 2, 3]]);
    expect(min(x, -1).toArray()).toEqual([1, 2]);
  });

  it("argmax/argmin: flattened, along an axis, negative axis, keepdims", () => {
    const x = x23();
    expect(argmax(x).item()).toBe(5);
    expect(argmin(x).item()).toBe(0);
    expect(argmax(x, 1).toArray()).toEqual([1, 2]);
    expect(argmin(x, 0).toArray()).toEqual([0, 1, 0]);
    expect(argmax(x, -1, true).toArray()).toEqual([[1], [2]]);
    expect(argmax(x, undefined, true).shape).toEqual([1, 1]);
    expect(argmax(x).requiresGrad).toBe(false);
  });

  it("argmax/argmin take the first of tied values", () => {
    expect(argmax(tensor([3, 7, 7, 1], f64)).item()).toBe(1);
    expect(argmin(tensor([2, 1, 1, 5], f64)).item()).toBe(1);
    expect(argmax(tensor([[4, 4], [2, 9]], f64), 0).toArray()).toEqual([0, 1]);
  });

  it("the gradient goes to the extreme element only", () => {
    const x = x23(true);
    max(x, 1).backward(tensor([10, 20], f64));
    expect(x.grad?.toArray()).toEqual([[0, 10, 0], [0, 0, 20]]);
    const y = x23(true);
    min(y).backward();
    expect(y.grad?.toArray()).toEqual([[1, 0, 0], [0, 0, 0]]);
  });

  it("tied maxima and minima share the gradient equally", () => {
    const x = tensor([1, 3, 3, 2], { ...f64, requiresGrad: true });
    max(x).backward();
    expect(values(x.grad!)).toEqual([0, 0.5, 0.5, 0]);
    const y = tensor([[2, 2], [1, 3]], { ...f64, requiresGrad: true });
    max(y, 1).backward(tensor([10, 20], f64));
    expect(y.grad?.toArray()).toEqual([[5, 5], [0, 20]]);
    const z = tensor([4, 4, 4], { ...f64, requiresGrad: true });
    min(z).backward(tensor(3, f64));
    expect(values(z.grad!)).toEqual([1, 1, 1]);
  });

  it("errors name the op and the axis", () => {
    expect(() => max(x23(), 2)).toThrow(/max: axis 2 is out of range for rank 2/);
    expect(() => argmax(x23(), 3)).toThrow(/argmax: axis 3 is out of range for rank 2/);
    expect(() => argmin(tensor([], f64))).toThrow(/argmin: cannot take argmin of an empty/);
  });
});

describe("logsumexp, softmax, logSoftmax", () => {
  it("exact values on small inputs", () => {
    const x = tensor([1, 2, 3], f64);
    const total = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(logsumexp(x).item()).toBeCloseTo(Math.log(total), 14);
    expectClose(softmax(x).data, [1, 2, 3].map((v) => Math.exp(v) / total));
    expectClose(logSoftmax(x).data, [1, 2, 3].map((v) => v - Math.log(total)));
    const m = tensor([[0, 0], [1000, 1000]], f64);
    expectClose(logsumexp(m, 1).data, [Math.LN2, 1000 + Math.LN2], 12);
    expect(logsumexp(m, -1, true).shape).toEqual([2, 1]);
    expectClose(softmax(m, 0).data, [0, 0, 1, 1]);
  });

  it("logsumexp is stable near ±1000", () => {
    expect(logsumexp(tensor([1000, 1000], f64)).item()).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logsumexp(tensor([-1000, -1000], f64)).item()).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logsumexp(tensor([1000, -1000], f64)).item()).toBe(1000);
    expect(logsumexp(tensor([-Infinity, -Infinity], f64)).item()).toBe(-Infinity);
    const f32 = logsumexp(tensor([1000, 1000])).item();
    expect(f32).toBeCloseTo(1000 + Math.LN2, 3);
  });

  it("softmax and logSoftmax are stable near ±1000, in both dtypes", () => {
    for (const dtype of ["float32", "float64"] as const) {
      expect(values(softmax(tensor([1000, -1000], { dtype })))).toEqual([1, 0]);
      // Exact in float32 too: computing x − logsumexp(x) directly gave 0.49998 there.
      expect(values(softmax(tensor([1000, 1000], { dtype })))).toEqual([0.5, 0.5]);
      expect(values(softmax(tensor([[999, 1001]], { dtype }), 0))).toEqual([1, 1]);
      expect(values(logSoftmax(tensor([1000, -1000], { dtype })))).toEqual([0, -2000]);
      const ls = values(logSoftmax(tensor([-1000, -1000, -1000], { dtype })));
      ls.forEach((v) => expect(v).toBeCloseTo(-Math.log(3), 6));
    }
  });

  it("gradients stay finite near ±1000", () => {
    const x = tensor([1000, 1000], { ...f64, requiresGrad: true });
    logsumexp(x).backward();
    expectClose(x.grad!.data, [0.5, 0.5], 12);
    const y = tensor([1000, -1000], { ...f64, requiresGrad: true });
    softmax(y).backward(tensor([1, 0], f64));
    expect(values(y.grad!)).toEqual([0, 0]);
    const z = tensor([1000, -1000, 999], { ...f64, requiresGrad: true });
    logSoftmax(z).backward(tensor([1, 2, 3], f64));
    for (const g of z.grad!.data) expect(Number.isFinite(g)).toBe(true);
    // d/dz Σ w·(z − lse(z)) = w − softmax(z)·Σw
    const s = [1, 0, Math.exp(-1)].map((e) => e / (1 + Math.exp(-1) + Math.exp(-2000)));
    expectClose(z.grad!.data, [1 - 6 * s[0], 2 - 6 * s[1], 3 - 6 * s[2]], 12);
  });

  it("softmax's gradient is s·(dy − ⟨dy, s⟩)", () => {
    const x = tensor([0.5, -1, 2], { ...f64, requiresGrad: true });
    const s = values(softmax(x));
    const dy = [0.3, -2, 1];
    softmax(x).backward(tensor(dy, f64));
    const dot = s.reduce((acc, v, i) => acc + v * dy[i], 0);
    expectClose(x.grad!.data, s.map((v, i) => v * (dy[i] - dot)));
  });

  it("errors name the op and the axis", () => {
    expect(() => logsumexp(x23(), 2)).toThrow(/logsumexp: axis 2 is out of range for rank 2/);
    expect(() => softmax(x23(), 3)).toThrow(/softmax: axis 3 is out of range for rank 2/);
    expect(() => logSoftmax(x23(), -3)).toThrow(/logSoftmax: axis -3 is out of range/);
  });
});
