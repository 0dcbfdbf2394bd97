// Shapes, permutations and axes written as PyTorch's varargs (zeros(3, 4), permute(1, 0)) or of
// the wrong type: a TypeError naming the op and the form, never a crash inside it.
import { describe, expect, it } from "vitest";
import { compileStep } from "./compile.js";
import { ones, randn, tensor, zeros } from "./creation.js";
import { hvp } from "./functional.js";
import { permute, reshape, softmax, sum } from "./ops/all.js";
import type { Tensor } from "./tensor.js";

const call = (f: (...args: unknown[]) => unknown, ...args: unknown[]) => () => f(...args);

describe("arguments in the wrong form", () => {
  it("creation functions take the shape as one array", () => {
    expect(call(zeros as never, 3, 4)).toThrow(
      "zeros: shape must be an array of sizes, e.g. [3, 4]; got the number 3");
    expect(call(ones as never, 3)).toThrow("ones: shape must be an array of sizes");
    expect(call(randn as never, 4, 3)).toThrow("randn: shape must be an array of sizes");
    expect(zeros([3, 4]).shape).toEqual([3, 4]);
  });

  it("reshape and permute take one array", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(call(reshape as never, x, 6)).toThrow(
      "reshape: the shape must be an array of sizes, e.g. reshape([3, 2]); got the number 6");
    expect(call(x.reshape.bind(x) as never, 3, 2)).toThrow("got the number 3");
    expect(call(permute as never, x, 1, 0)).toThrow(
      "permute: perm must be an array of axes, e.g. permute([1, 0]); got the number 1");
    expect(permute(x, [1, 0]).shape).toEqual([3, 2]);
  });

  it("hvp and compileStep name an array or a bare tensor where their lists go", () => {
    const x = tensor([1, 2], { dtype: "float64" });
    expect(call(hvp as never, (t: Tensor) => sum(t), [1, 2], x))
      .toThrow("hvp: x must be a Tensor; got an array (wrap it with tensor())");
    const p = tensor([1, 2], { requiresGrad: true });
    expect(call(compileStep as never, () => sum(p), p)).toThrow(
      "compileStep: params must be an array of tensors, e.g. model.parameters(); got a Tensor");
  });

  it("an axis is an integer or an array of them", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(call(sum as never, x, "1")).toThrow(
      'sum: axis must be an integer or an array of integers; got the string "1"');
    expect(sum(x, [1]).toArray()).toEqual([6, 15]);
    // Inside an array, or a single axis: named, not reported as "axis 1 is out of range".
    expect(call(sum as never, x, ["1"])).toThrow(
      'sum: axis must be an integer or an array of integers; got the string "1" at axis[0]');
    expect(call(sum as never, x, null)).toThrow(
      "sum: axis must be an integer or an array of integers; got null (for every axis leave " +
        "it undefined)");
    expect(call(softmax as never, x, "1")).toThrow(
      'softmax: axis must be an integer; got the string "1"');
    expect(call(zeros as never, new Int32Array([2]))).toThrow(
      "zeros: shape must be an array of sizes, e.g. [3, 4]; got an Int32Array (use a plain array)");
  });
});
