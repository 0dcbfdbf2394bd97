// Replays that must read data when they run, not when they were traced: tensor indices, rows of
// −∞, one-hot labels, dtype conversions and copies, each against the eager tape.
import { describe, expect, it } from "vitest";
import { compileStep } from "./compile.js";
import { tensor } from "./creation.js";
import type { DType } from "./dtype.js";
import {
  astype, gather, logsumexp, logSoftmax, matmul, mul, oneHot, sum,
} from "./ops/all.js";
import { withGradMode } from "./tape.js";
import type { Tensor } from "./tensor.js";

/** What fn gives eagerly for these inputs: the loss and w's gradient. */
function eager(fn: (...xs: Tensor[]) => Tensor, w: Tensor, inputs: Tensor[]) {
  return withGradMode(true, () => {
    w.grad = null;
    const loss = fn(...inputs);
    loss.backward();
    return { loss: loss.data[0], grad: Array.from(w.grad!.data) };
  });
}

function compiled(step: (...xs: Tensor[]) => Tensor, w: Tensor, inputs: Tensor[]) {
  const loss = step(...inputs).data[0];
  return { loss, grad: Array.from(w.grad!.data) };
}

const weights = (dtype: DType = "float64") =>
  tensor([[1, 2], [3, 4], [5, 6]], { dtype, requiresGrad: true });

describe("compiled replay reads tensor data when it runs", () => {
  it("gathers the rows of each call's index tensor, and scatters the gradient there", () => {
    const w = weights();
    const fn = (idx: Tensor) => sum(mul(gather(w, idx), tensor([1, 10], { dtype: "float64" })));
    const step = compileStep(fn, [w]);
    for (const rows of [[0], [2], [1], [2]]) {
      const idx = tensor(rows, { dtype: "float64" });
      const got = compiled(step, w, [idx]);
      expect(got).toEqual(eager(fn, w, [idx]));
      expect(got.loss).toBe([21, 43, 65][rows[0]]);
    }
    expect(step.traceCount).toBe(1);
  });

  it("checks replayed indices: out of range, non-integers, NaN throw, naming the position", () => {
    const w = weights("float32");
    const step = compileStep((idx: Tensor) => sum(gather(w, idx)), [w]);
    step(tensor([0, 1]));
    expect(() => step(tensor([1, 3]))).toThrow(
      "gather: index 3 at position 1 is out of range [0, 3)");
    expect(() => step(tensor([0.5, 1]))).toThrow(
      "gather: index 0.5 at position 0 is not an integer");
    expect(() => step(tensor([1, NaN]))).toThrow(
      "gather: index NaN at position 1 is not an integer");
    expect(() => step(tensor([-1, 0]))).toThrow(/index -1 at position 0 is out of range/);
    expect(compiled(step, w, [tensor([2, 2])]).loss).toBe(22);
  });

  it("gives −Infinity for a row of −∞ in logsumexp, like the tape, whatever was traced", () => {
    const w = tensor([1, 1], { dtype: "float64", requiresGrad: true });
    const fn = (x: Tensor) => sum(logsumexp(mul(x, w), 1));
    const step = compileStep(fn, [w]);
    const rows = [[[0.5, -1]], [[-Infinity, -Infinity]], [[2, 3]], [[-Infinity, -Infinity]]];
    for (const data of rows) {
      const x = tensor(data, { dtype: "float64" });
      expect(compiled(step, w, [x])).toEqual(eager(fn, w, [x]));
    }
    expect(step(tensor([[-Infinity, -Infinity]], { dtype: "float64" })).data[0]).toBe(-Infinity);
  });

  it("makes one-hot rows from each call's label tensor", () => {
    const w = weights();
    const fn = (x: Tensor, labels: Tensor) =>
      sum(mul(oneHot(labels, 2, "float64"), logSoftmax(matmul(x, w)))).neg();
    const step = compileStep(fn, [w]);
    const x = tensor([[0.1, -0.2, 0.3], [1, 0.5, -1]], { dtype: "float64" });
    for (const labels of [[0, 1], [1, 1], [1, 0]]) {
      const y = tensor(labels);
      expect(compiled(step, w, [x, y])).toEqual(eager(fn, w, [x, y]));
    }
    expect(() => step(x, tensor([0, 2]))).toThrow(
      "oneHot: index 2 at position 1 is out of range [0, 2)");
  });

  it("converts each call's input in astype and in mixed-dtype ops", () => {
    const w = tensor([0.5, -2], { dtype: "float64", requiresGrad: true });
    const fn = (x: Tensor) => sum(mul(astype(x, "float64"), w)).add(sum(mul(x, w)));
    const step = compileStep(fn, [w]);
    for (const values of [[1, 2], [3, -4], [0.1, 7]]) {
      const x = tensor(values); // float32
      expect(compiled(step, w, [x])).toEqual(eager(fn, w, [x]));
    }
  });

  it("copies each call's values in clone()", () => {
    const w = tensor([2, 3], { dtype: "float64", requiresGrad: true });
    const fn = (x: Tensor) => sum(mul(x.clone(), w));
    const step = compileStep(fn, [w]);
    for (const values of [[1, 2], [5, -1]]) {
      const x = tensor(values, { dtype: "float64" });
      expect(compiled(step, w, [x])).toEqual(eager(fn, w, [x]));
    }
  });
});

describe("index checks", () => {
  it("say that a value is not an integer, with its position", () => {
    expect(() => oneHot([1, 0.5], 3)).toThrow("oneHot: index 0.5 at position 1 is not an integer");
    expect(() => oneHot(tensor([0.5]), 3)).toThrow(
      "oneHot: index 0.5 at position 0 is not an integer");
    expect(() => gather(weights(), [Infinity])).toThrow(
      "gather: index Infinity at position 0 is not an integer");
    expect(() => gather(weights(), [3])).toThrow("gather: index 3 at position 0 is out of range");
  });

  it("check gather's options", () => {
    expect(() => gather(weights(), [0], { Out: weights() } as never)).toThrow(
      /gather: unknown option "Out"; did you mean "out"\?/);
  });
});
