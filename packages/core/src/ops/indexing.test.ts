// Unit tests for slice, gather, concat, stack and oneHot: values, adjoints and errors.
import { describe, expect, it } from "vitest";
import { arange, tensor, zeros } from "../creation.js";
import { Tensor } from "../tensor.js";
import { concat, gather, oneHot, reshape, slice, stack } from "./all.js";

const f64 = { dtype: "float64" } as const;
/** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] */
const x34 = (requiresGrad = false) => {
  const x = reshape(arange(12, undefined, 1, f64), [3, 4]).detach();
  x.requiresGrad = requiresGrad;
  return x;
};

describe("slice", () => {
  it("takes blocks, whole axes for missing entries, negative positions from the end", () => {
    expect(slice(x34(), [1, 1], [3, 3]).toArray()).toEqual([[5, 6], [9, 10]]);
    expect(slice(x34(), [1]).toArray()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(slice(x34(), [0, -2]).toArray()).toEqual([[2, 3], [6, 7], [10, 11]]);
    expect(slice(x34(), [-1, 0], [3, -3]).toArray()).toEqual([[8]]);
    expect(slice(x34(), [1, 2], [1, 2]).shape).toEqual([0, 0]);
  });

  it("the gradient is dy placed into zeros", () => {
    const x = x34(true);
    slice(x, [1, 1], [3, 3]).backward(tensor([[1, 2], [3, 4]], f64));
    expect(x.grad?.toArray()).toEqual([[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0]]);
  });

  it("rejects out-of-range positions, end before start and too many positions", () => {
    expect(() => slice(x34(), [0, 5])).toThrow(
      /slice: start 5 is out of range for axis 1 of size 4/,
    );
    expect(() => slice(x34(), [-4])).toThrow(
      /slice: start -4 is out of range for axis 0 of size 3/,
    );
    expect(() => slice(x34(), [0], [4])).toThrow(/slice: end 4 is out of range for axis 0/);
    expect(() => slice(x34(), [2], [1])).toThrow(/slice: end 1 is before start 2 on axis 0/);
    expect(() => slice(x34(), [0, 0, 0])).toThrow(/slice: got 3 positions for rank 2 \(\[3, 4\]\)/);
  });

  it("refuses positions that are not arrays instead of taking the whole tensor", () => {
    const bad = (starts: unknown, ends?: unknown) =>
      () => slice(x34(), starts as number[], ends as number[]);
    expect(bad(-2)).toThrow(
      "slice: starts must be an array of positions, one per axis from the first (e.g. [1] or " +
        "[0, 2]); got the number -2");
    expect(bad([0], 2)).toThrow("slice: ends must be an array of positions, one per axis from " +
      "the first (e.g. [1] or [0, 2]); got the number 2");
  });
});

describe("gather", () => {
  it("picks rows, repeats allowed, from arrays, Int32Array and tensors", () => {
    expect(gather(x34(), [2, 0, 2]).toArray())
      .toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    expect(gather(x34(), Int32Array.from([1])).toArray()).toEqual([[4, 5, 6, 7]]);
    expect(gather(tensor([5, 6, 7], f64), tensor([2, 2])).toArray()).toEqual([7, 7]);
  });

  it("repeated indices accumulate in the gradient", () => {
    const x = x34(true);
    gather(x, [2, 0, 2]).backward(tensor([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]], f64));
    expect(x.grad?.toArray()).toEqual([[2, 2, 2, 2], [0, 0, 0, 0], [4, 4, 4, 4]]);
  });

  it("rejects out-of-range and non-integer indices, and scalars", () => {
    expect(() => gather(x34(), [0, 3])).toThrow(
      /gather: index 3 at position 1 is out of range \[0, 3\)/,
    );
    expect(() => gather(x34(), [-1])).toThrow(/gather: index -1 at position 0 is out of range/);
    expect(() => gather(x34(), [0.5])).toThrow(/gather: index 0.5/);
    expect(() => gather(tensor(1, f64), [0])).toThrow(/gather: x must have rank ≥ 1/);
  });

  it("writes into out when given, reusing it, and checks it", () => {
    const out = zeros([2, 4], f64);
    expect(gather(x34(), [2, 1], { out })).toBe(out);
    expect(out.toArray()).toEqual([[8, 9, 10, 11], [4, 5, 6, 7]]);
    gather(x34(), [0, 0], { out });
    expect(out.toArray()).toEqual([[0, 1, 2, 3], [0, 1, 2, 3]]);
    expect(() => gather(x34(), [0], { out })).toThrow(
      /gather: out must be float64 \[1, 4\]; got float64 \[2, 4\]/,
    );
    expect(() => gather(x34(), [0, 1], { out: zeros([2, 4]) })).toThrow(
      /gather: out must be float64 \[2, 4\]; got float32 \[2, 4\]/,
    );
    expect(() => gather(x34(true), [0, 1], { out })).toThrow(
      /gather: out cannot be used while recording gradients of x/,
    );
  });
});

describe("concat and stack", () => {
  it("concat joins along an axis, negative allowed", () => {
    const a = tensor([[1, 2]], f64);
    const b = tensor([[3, 4], [5, 6]], f64);
    expect(concat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const c = tensor([[7], [8]], f64);
    expect(concat([b, c], -1).toArray()).toEqual([[3, 4, 7], [5, 6, 8]]);
    expect(concat([tensor([1]), tensor([2], f64)]).dtype).toBe("float64");
  });

  it("concat's gradient is sliced back to each part", () => {
    const a = tensor([[1], [2]], { ...f64, requiresGrad: true });
    const b = tensor([[3, 4], [5, 6]], { ...f64, requiresGrad: true });
    concat([a, b], 1).backward(tensor([[1, 2, 3], [4, 5, 6]], f64));
    expect(a.grad?.toArray()).toEqual([[1], [4]]);
    expect(b.grad?.toArray()).toEqual([[2, 3], [5, 6]]);
  });

  it("stack adds a new axis", () => {
    const a = tensor([1, 2], f64);
    const b = tensor([3, 4], f64);
    expect(stack([a, b]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([a, b], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1, f64), tensor(2, f64)]).toArray()).toEqual([1, 2]);
  });

  it("rejects mismatched shapes, empty lists, scalars and bad axes", () => {
    expect(() => concat([zeros([2, 3]), zeros([2, 4])])).toThrow(
      /concat: tensors\[1\] is \[2, 4\] but tensors\[0\] is \[2, 3\]; all dimensions except axis 0/,
    );
    expect(() => concat([zeros([2, 3]), zeros([3])], 1)).toThrow(/tensors\[1\] is \[3\]/);
    expect(() => concat([])).toThrow(/concat: needs a non-empty array/);
    expect(() => concat([zeros([2]), zeros([2])], 1)).toThrow(/concat: axis 1 is out of range/);
    expect(() => concat([tensor(1), tensor(2)])).toThrow(/concat: tensors must have rank ≥ 1/);
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(
      /stack: tensors\[1\] is \[3\] but tensors\[0\] is \[2\]; stack needs equal shapes/,
    );
    expect(() => stack([zeros([2])], 2)).toThrow(/stack: axis 2 is out of range for rank 2/);
  });
});

describe("oneHot", () => {
  it("one row per label", () => {
    const y = oneHot([2, 0, 1], 3);
    expect(y).toBeInstanceOf(Tensor);
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    expect(oneHot(Uint8Array.from([1]), 2, "float64").toArray()).toEqual([[0, 1]]);
    expect(oneHot([], 4).shape).toEqual([0, 4]);
  });

  it("rejects labels out of range and a bad class count", () => {
    expect(() => oneHot([0, 3], 3)).toThrow(
      /oneHot: index 3 at position 1 is out of range \[0, 3\)/,
    );
    expect(() => oneHot([0], 0)).toThrow(/oneHot: numClasses must be a positive integer; got 0/);
  });
});
