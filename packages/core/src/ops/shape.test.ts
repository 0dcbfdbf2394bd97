// Unit tests for reshape, permute, transpose, squeeze, unsqueeze and broadcastTo.
import { describe, expect, it } from "vitest";
import { arange, tensor, zeros } from "../creation.js";
import {
  broadcastTo, permute, reshape, squeeze, sumToShape, transpose, unsqueeze,
} from "./all.js";

const f64 = { dtype: "float64" } as const;
const x23 = (requiresGrad = false) => tensor([[1, 2, 3], [4, 5, 6]], { ...f64, requiresGrad });

describe("reshape", () => {
  it("keeps the row-major order, infers -1 and shares the data", () => {
    const x = x23();
    const y = reshape(x, [3, -1]);
    expect(y.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(y.data).toBe(x.data);
    expect(reshape(x, [-1]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reshape(tensor([7], f64), []).shape).toEqual([]);
    expect(reshape(x, [2, 3])).toBe(x);
  });

  it("the gradient is reshaped back", () => {
    const x = x23(true);
    reshape(x, [6]).backward(tensor([1, 2, 3, 4, 5, 6], f64));
    expect(x.grad?.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it("rejects a wrong element count, two -1s and bad dimensions", () => {
    expect(() => reshape(x23(), [4, 2])).toThrow(
      /reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]; the element counts differ/,
    );
    expect(() => reshape(x23(), [4, -1])).toThrow(/6 is not a multiple of 4/);
    expect(() => reshape(x23(), [-1, -1])).toThrow(/only one dimension may be -1/);
    expect(() => reshape(x23(), [2, 1.5, 2])).toThrow(/dimensions must be integers/);
  });
});

describe("permute and transpose", () => {
  it("permute moves axes and copies", () => {
    const x = reshape(arange(24, undefined, 1, f64), [2, 3, 4]);
    const y = permute(x, [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    // y[i, j, k] = x[j, k, i] = 12j + 4k + i
    expect(y.toArray()).toEqual(
      [0, 1, 2, 3].map((i) => [0, 1].map((j) => [0, 1, 2].map((k) => 12 * j + 4 * k + i))),
    );
  });

  it("the gradient is permuted back with the inverse permutation", () => {
    const x = tensor([[[1, 2, 3], [4, 5, 6]]], { ...f64, requiresGrad: true }); // [1, 2, 3]
    const dy = reshape(arange(6, undefined, 1, f64), [3, 1, 2]);
    permute(x, [2, 0, 1]).backward(dy);
    expect(x.grad?.toArray()).toEqual([[[0, 2, 4], [1, 3, 5]]]);
  });

  it("transpose swaps the last two axes by default, or the given ones", () => {
    expect(transpose(x23()).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(x23().T.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(transpose(zeros([2, 3, 4]), 0, -1).shape).toEqual([4, 3, 2]);
    expect(transpose(zeros([5]), 0, 0).shape).toEqual([5]);
  });

  it("rejects a non-permutation and a bad axis", () => {
    expect(() => permute(x23(), [0, 0])).toThrow(
      /permute: perm must be a permutation of 0..1 for shape \[2, 3\]; got \[0, 0\]/,
    );
    expect(() => permute(x23(), [1, 0, 2])).toThrow(/got \[1, 0, 2\]/);
    expect(() => transpose(zeros([3]))).toThrow(/transpose: needs rank ≥ 2.*got \[3\]/);
    expect(() => transpose(x23(), 0, 2)).toThrow(/transpose: axis 2 is out of range for rank 2/);
  });
});

describe("squeeze and unsqueeze", () => {
  it("insert and remove size-1 axes", () => {
    const x = zeros([2, 1, 3, 1]);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, 1).shape).toEqual([2, 3, 1]);
    expect(squeeze(x, -1).shape).toEqual([2, 1, 3]);
    expect(unsqueeze(zeros([2, 3]), 0).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(zeros([2, 3]), -1).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(zeros([2, 3]), 1).shape).toEqual([2, 1, 3]);
    expect(unsqueeze(tensor(4, f64), 0).toArray()).toEqual([4]);
  });

  it("rejects squeezing an axis that is not 1, and bad axes", () => {
    expect(() => squeeze(zeros([2, 3]), 1)).toThrow(
      /squeeze: axis 1 has size 3, not 1, in \[2, 3\]/,
    );
    expect(() => unsqueeze(zeros([2, 3]), 3)).toThrow(
      /unsqueeze: axis 3 is out of range for rank 3/,
    );
    expect(() => squeeze(zeros([2, 1]), -3)).toThrow(/squeeze: axis -3 is out of range for rank 2/);
  });
});

describe("broadcastTo and sumToShape", () => {
  it("repeats size-1 and missing axes", () => {
    expect(broadcastTo(tensor([1, 2], f64), [3, 2]).toArray()).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(broadcastTo(tensor([[1], [2]], f64), [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(broadcastTo(tensor(5, f64), [2]).toArray()).toEqual([5, 5]);
  });

  it("the gradient sums over the broadcast axes", () => {
    const x = tensor([[1], [2]], { ...f64, requiresGrad: true });
    broadcastTo(x, [3, 2, 3]).backward(reshape(arange(18, undefined, 1, f64), [3, 2, 3]));
    // dy[b, i, k] = 6b + 3i + k, so x.grad[i] = Σ_b Σ_k dy = 54 + 9 + 27i
    expect(x.grad?.toArray()).toEqual([[63], [90]]);
    expect(sumToShape(tensor([[1, 2], [3, 4]], f64), [1, 2]).toArray()).toEqual([[4, 6]]);
    expect(sumToShape(tensor([[1, 2], [3, 4]], f64), []).item()).toBe(10);
  });

  it("rejects an impossible broadcast, naming both shapes", () => {
    expect(() => broadcastTo(zeros([3]), [2, 4])).toThrow(
      /broadcastTo: shapes cannot be broadcast together; got \[3\] and \[2, 4\]/,
    );
    expect(() => broadcastTo(zeros([2, 3]), [3])).toThrow(
      /broadcastTo: cannot broadcast \[2, 3\] to \[3\]/,
    );
    expect(() => broadcastTo(zeros([2]), [2, -1])).toThrow(/broadcastTo: shape must hold/);
  });
});
