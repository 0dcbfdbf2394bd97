// Unit tests for matmul and matmulTransposed: values by hand, 1-D and batched shapes, errors.
import { describe, expect, it } from "vitest";
import { tensor, zeros } from "../creation.js";
import { matmul, matmulTransposed } from "./all.js";

const f64 = { dtype: "float64" } as const;
const a23 = () => tensor([[1, 2, 3], [4, 5, 6]], f64);
const b32 = () => tensor([[7, 8], [9, 10], [11, 12]], f64);

describe("matmul values", () => {
  it("2-D product", () => {
    const c = matmul(a23(), b32());
    expect(c.shape).toEqual([2, 2]);
    expect(c.toArray()).toEqual([[58, 64], [139, 154]]);
  });

  it("1-D operands: row vector, column vector, dot product", () => {
    const v = tensor([1, 2, 3], f64);
    expect(matmul(v, b32()).toArray()).toEqual([58, 64]);
    expect(matmul(a23(), v).toArray()).toEqual([14, 32]);
    const dot = matmul(v, v);
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(14);
  });

  it("batched, with a broadcast batch dimension", () => {
    const a = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 3]]], f64); // [2, 2, 2]
    const b = tensor([[[1, 2], [3, 4]]], f64); // [1, 2, 2]
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 2, 2]);
    expect(c.toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [9, 12]]]);
    expect(matmul(a, tensor([[1, 2], [3, 4]], f64)).toArray()).toEqual(c.toArray());
    expect(matmul(tensor([1, 1], f64), a).toArray()).toEqual([[1, 1], [2, 3]]);
  });

  it("mixed float32/float64 promotes to float64", () => {
    const c = matmul(tensor([[1, 2]]), tensor([[3], [4]], f64));
    expect(c.dtype).toBe("float64");
    expect(c.toArray()).toEqual([[11]]);
  });
});

describe("matmulTransposed", () => {
  const at = () => tensor([[1, 4], [2, 5], [3, 6]], f64); // a23ᵀ
  const bt = () => tensor([[7, 9, 11], [8, 10, 12]], f64); // b32ᵀ
  const expected = [[58, 64], [139, 154]];

  it("all four layouts give a @ b", () => {
    expect(matmulTransposed(a23(), b32(), false, false).toArray()).toEqual(expected);
    expect(matmulTransposed(at(), b32(), true, false).toArray()).toEqual(expected);
    expect(matmulTransposed(a23(), bt(), false, true).toArray()).toEqual(expected);
    expect(matmulTransposed(at(), bt(), true, true).toArray()).toEqual(expected);
  });

  it("gradients by hand: dA = dy·Bᵀ, dB = Aᵀ·dy", () => {
    const a = tensor([[1, 2], [3, 4]], { ...f64, requiresGrad: true });
    const b = tensor([[5, 6], [7, 8]], { ...f64, requiresGrad: true });
    matmul(a, b).backward(tensor([[1, 0], [0, 2]], f64));
    expect(a.grad?.toArray()).toEqual([[5, 7], [12, 16]]);
    expect(b.grad?.toArray()).toEqual([[1, 6], [2, 8]]);
  });

  it("a broadcast batch gradient is summed back to the operand's shape", () => {
    const a = tensor([[[1, 2]], [[3, 4]]], { ...f64, requiresGrad: true }); // [2, 1, 2]
    const b = tensor([[1], [1]], { ...f64, requiresGrad: true }); // [2, 1]
    matmul(a, b).sum().backward();
    expect(a.grad?.toArray()).toEqual([[[1, 1]], [[1, 1]]]);
    expect(b.grad?.toArray()).toEqual([[4], [6]]);
  });
});

describe("matmul errors", () => {
  it("inner dimensions differ, with both shapes", () => {
    expect(() => matmul(zeros([128, 784]), zeros([128, 64]))).toThrow(
      "matmul: inner dimensions differ; a is [128, 784], b is [128, 64]",
    );
    expect(() => matmul(zeros([3]), zeros([4, 5]))).toThrow(/a is \[3\], b is \[4, 5\]/);
    expect(() => matmulTransposed(zeros([2, 3]), zeros([2, 3]), false, true)).not.toThrow();
    expect(() => matmulTransposed(zeros([2, 3]), zeros([2, 3]), true, true)).toThrow(
      /matmul: inner dimensions differ; aᵀ is \[2, 3\], bᵀ is \[2, 3\]/,
    );
  });

  it("scalars, low-rank transposed layouts and unbroadcastable batches", () => {
    expect(() => matmul(zeros([]), zeros([2]))).toThrow(/matmul: operands must have rank ≥ 1/);
    expect(() => matmulTransposed(zeros([2]), zeros([2, 2]), false, false)).toThrow(
      /matmul: transposed layouts need rank ≥ 2; a is \[2\]/,
    );
    expect(() => matmul(zeros([2, 1, 3]), zeros([3, 3, 4]))).toThrow(
      /matmul: shapes cannot be broadcast together; got \[2\] and \[3\]/,
    );
  });

  it("a non-tensor operand", () => {
    const bad = [[1, 2]] as unknown as ReturnType<typeof zeros>;
    expect(() => matmul(bad, zeros([2, 2]))).toThrow(/matmul: a must be a Tensor; got an array/);
  });
});
