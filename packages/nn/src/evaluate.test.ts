// evaluate(): loss, metrics and baseline worked by hand, the number of classes from the model.
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { evaluate } from "./evaluate.js";
import { Sequential } from "./sequential.js";

/** One dense layer with the weights given: logits = x·W (no bias). */
function linearModel(weights: number[], outputs: number, activation: "softmax" | "sigmoid" |
  "identity"): Sequential {
  const dense = new Dense({ inputSize: 2, outputSize: outputs, activation, useBias: false,
    dtype: "float64" });
  dense.weight.data.set(weights);
  return new Sequential([dense]);
}

describe("evaluate", () => {
  it("a 4-class softmax model: loss, accuracy, confusion, baseline, in batches", () => {
    // x = [1, 0] gives logits W[0,:], x = [0, 1] gives W[1,:].
    const model = linearModel([2, 0, 0, 0, 0, 0, 3, 0], 4, "softmax");
    const x = [[1, 0], [0, 1], [1, 0], [0, 1]];
    const y = [0, 2, 1, 3];
    const e = evaluate(model, { x, y }, { batchSize: 3 });
    const lse = (v: number[]) => Math.log(v.reduce((s, z) => s + Math.exp(z), 0));
    const ce = (lse([2, 0, 0, 0]) - 2 + lse([0, 0, 3, 0]) - 3 + lse([2, 0, 0, 0]) - 0 +
      lse([0, 0, 3, 0]) - 0) / 4;
    expect(e.loss).toBeCloseTo(ce, 12);
    expect(e.accuracy).toBe(0.5);
    expect(e.confusion).toEqual([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]]);
    expect(e.perClassAccuracy).toEqual([1, 0, 1, 0]);
    expect(e.baselineLoss).toBeCloseTo(Math.log(4), 12); // four balanced classes
    expect(e.count).toBe(4);
    expect(e.mae).toBeNull();
  });

  it("a binary sigmoid model: classes 0/1, threshold at logit 0", () => {
    const model = linearModel([1, -1], 1, "sigmoid");
    const e = evaluate(model, { x: [[1, 0], [0, 1], [2, 0]], y: [1, 1, 0] });
    expect(e.accuracy).toBeCloseTo(1 / 3, 15);
    expect(e.confusion).toEqual([[0, 1], [1, 1]]);
    const softplus = (z: number) => Math.log1p(Math.exp(z));
    expect(e.loss).toBeCloseTo((softplus(-1) + softplus(1) + softplus(2)) / 3, 12);
  });

  it("a regression model: MSE, MAE and the variance baseline", () => {
    const model = linearModel([1, 2], 1, "identity");
    const e = evaluate(model, { x: [[1, 0], [0, 1]], y: tensor([3, 1]) });
    expect(e.loss).toBeCloseTo((4 + 1) / 2, 12);
    expect(e.mae).toBeCloseTo(1.5, 12);
    expect(e.accuracy).toBeNull();
    expect(e.baselineLoss).toBeCloseTo(1, 12); // targets 3 and 1 around their mean 2
  });

  it("checks its options", () => {
    const model = linearModel([1, 2], 1, "identity");
    expect(() => evaluate(model, { x: [[1, 0]], y: [1] }, { batch_size: 2 } as never))
      .toThrow(/evaluate: unknown option "batch_size"; did you mean "batchSize"\?/);
    expect(() => evaluate(model, { x: [[1, 0]], y: [1] }, { batchSize: 0 }))
      .toThrow("evaluate: batchSize must be a positive integer; got 0");
  });

  it("a loss that is not a number is an error naming its cause, not a NaN result", () => {
    const model = linearModel([1, 2, 3, 4, 5, 6], 3, "softmax");
    expect(() => evaluate(model, { x: [[1, 0], [0, 1], [2, NaN]], y: [0, 1, 2] })).toThrow(
      "evaluate: the loss is NaN: x[2] holds NaN (value 1 of the sample); remove or repair " +
        "that sample");
    const regression = linearModel([1, 2], 1, "identity");
    expect(() => evaluate(regression, { x: [[1, 0], [0, 1]], y: [1, Infinity] })).toThrow(
      "evaluate: the loss is Infinity: y[1] holds Infinity; remove or repair that sample");
    (regression.layers[0] as Dense).weight.data[1] = NaN;
    expect(() => evaluate(regression, { x: [[1, 0], [0, 1]], y: [1, 2] })).toThrow(
      "evaluate: the loss is NaN: layers.0.weight holds 1 NaN/Inf value; the model's weights " +
        "are not numbers (a diverged training run?)");
  });
});
