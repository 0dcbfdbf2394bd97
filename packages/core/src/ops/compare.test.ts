// Comparison masks (1/0, no gradient) and where's value selection and gradient routing.
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { ShapeError } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { equal, greater, greaterEqual, less, lessEqual, notEqual, where } from "./compare.js";

const f64 = { dtype: "float64", requiresGrad: true } as const;
const values = (t: Tensor | null): number[] => Array.from(t!.data);

describe("comparisons", () => {
  const x = tensor([1, 2, 3]);

  it("give 1/0 masks against a number", () => {
    expect(values(greater(x, 2))).toEqual([0, 0, 1]);
    expect(values(greaterEqual(x, 2))).toEqual([0, 1, 1]);
    expect(values(less(x, 2))).toEqual([1, 0, 0]);
    expect(values(lessEqual(x, 2))).toEqual([1, 1, 0]);
    expect(values(equal(x, 2))).toEqual([0, 1, 0]);
    expect(values(notEqual(x, 2))).toEqual([1, 0, 1]);
  });

  it("a number on the left compares the same way round", () => {
    expect(values(greater(2, x))).toEqual([1, 0, 0]);
    expect(values(lessEqual(2, x))).toEqual([0, 1, 1]);
  });

  it("are available as methods", () => {
    expect(values(x.greater(1))).toEqual([0, 1, 1]);
    expect(values(x.greaterEqual(3))).toEqual([0, 0, 1]);
    expect(values(x.less(3))).toEqual([1, 1, 0]);
    expect(values(x.lessEqual(1))).toEqual([1, 0, 0]);
    expect(values(x.equal(tensor([1, 0, 3])))).toEqual([1, 0, 1]);
    expect(values(x.notEqual(tensor([1, 0, 3])))).toEqual([0, 1, 0]);
  });

  it("broadcast: a column against a row gives a matrix", () => {
    const col = tensor([[1], [2]]);
    const row = tensor([1, 2]);
    const y = greater(col, row);
    expect(y.shape).toEqual([2, 2]);
    expect(y.toArray()).toEqual([[0, 0], [1, 0]]);
    expect(equal(col, row).toArray()).toEqual([[1, 0], [0, 1]]);
  });

  it("a rank-0 comparison is rank 0", () => {
    const y = less(tensor(1), tensor(2));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(1);
  });

  it("do not require grad and record nothing, even on inputs that do", () => {
    const a = tensor([1, 2], f64);
    const b = tensor([2, 1], f64);
    for (const op of [greater, greaterEqual, less, lessEqual, equal, notEqual]) {
      const mask = op(a, b);
      expect(mask.requiresGrad).toBe(false);
      expect(mask.isLeaf).toBe(true);
    }
  });

  it("follow IEEE for NaN: equal is 0, notEqual is 1, ordering is 0", () => {
    const n = tensor([NaN]);
    expect(values(equal(n, n))).toEqual([0]);
    expect(values(notEqual(n, n))).toEqual([1]);
    expect(values(greaterEqual(n, 0))).toEqual([0]);
    expect(values(lessEqual(n, 0))).toEqual([0]);
  });

  it("mixed dtypes compare in float64 and give a float64 mask", () => {
    const a = tensor([0.1]); // float32 0.1 is not float64 0.1
    const b = tensor([0.1], { dtype: "float64" });
    const y = equal(a, b);
    expect(y.dtype).toBe("float64");
    expect(values(y)).toEqual([0]);
    expect(values(greater(a, b))).toEqual([1]); // fround(0.1) > 0.1
  });

  it("errors name the op and both shapes", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([1, 2, 3, 4]);
    expect(() => greater(a, b)).toThrow(ShapeError);
    expect(() => greater(a, b)).toThrow(
      "greater: shapes cannot be broadcast together; got [2, 3] and [4]",
    );
    expect(() => equal(a, NaN)).toThrow(/equal: b must be a finite number/);
    expect(() => less([1] as never, a)).toThrow(/less: a must be a Tensor; got an array/);
  });
});

describe("where", () => {
  it("picks a where the condition is non-zero and b elsewhere", () => {
    const cond = tensor([1, 0, -2, 0]);
    const y = where(cond, tensor([1, 2, 3, 4]), tensor([10, 20, 30, 40]));
    expect(values(y)).toEqual([1, 20, 3, 40]);
  });

  it("routes the gradient by the mask; no gradient for the condition", () => {
    const cond = tensor([1, 0, 1]);
    const a = tensor([1, 2, 3], f64);
    const b = tensor([4, 5, 6], f64);
    const y = where(cond, a, b);
    y.backward(tensor([10, 20, 30], { dtype: "float64" }));
    expect(values(a.grad)).toEqual([10, 0, 30]);
    expect(values(b.grad)).toEqual([0, 20, 0]);
  });

  it("broadcasts all three: [2, 1] condition, [3] a, rank-0 b", () => {
    const cond = tensor([[1], [0]]);
    const a = tensor([1, 2, 3], f64);
    const b = tensor(-1, f64);
    const y = where(cond, a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toArray()).toEqual([[1, 2, 3], [-1, -1, -1]]);
    y.backward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }));
    expect(values(a.grad)).toEqual([1, 2, 3]); // only the first row picked a
    expect(b.grad!.shape).toEqual([]);
    expect(b.grad!.item()).toBe(15); // 4 + 5 + 6
  });

  it("the condition may broadcast the output beyond both branches' shapes", () => {
    const cond = tensor([[1, 0], [0, 1]]);
    const a = tensor(5, f64);
    const y = where(cond, a, 0);
    expect(y.toArray()).toEqual([[5, 0], [0, 5]]);
    y.backward(tensor([[1, 2], [3, 4]], { dtype: "float64" }));
    expect(a.grad!.item()).toBe(5); // 1 + 4
  });

  it("with comparisons builds a leaky relu", () => {
    const x = tensor([-2, 3], f64);
    const y = where(x.greater(0), x, x.mul(0.1));
    expect(values(y)).toEqual([-0.2, 3]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([0.1, 1]);
  });

  it("promotes a float32 branch against a float64 one; each gradient keeps its dtype", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], f64);
    const y = where(tensor([0, 1]), a, b);
    expect(y.dtype).toBe("float64");
    expect(values(y)).toEqual([3, 2]);
    y.sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(values(a.grad)).toEqual([0, 1]);
    expect(values(b.grad)).toEqual([1, 0]);
  });

  it("errors: the condition must be a tensor, shapes must broadcast", () => {
    const a = tensor([1, 2]);
    expect(() => where([1, 0] as never, a, a)).toThrow(
      /where: condition must be a Tensor; got an array/,
    );
    expect(() => where(tensor([1, 0, 1]), a, a)).toThrow(
      "where: shapes cannot be broadcast together; got [3] and [2] and [2]",
    );
    expect(() => where(tensor([1]), a, NaN)).toThrow(/where: b must be a finite number/);
  });
});
