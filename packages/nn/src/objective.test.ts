// The Objective: loss, logits, reduction, task and classes from the model, options and targets;
// the constant-predictor baseline from label counts; modelLoss on the same rules.
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { crossEntropy } from "./loss.js";
import { modelLoss } from "./model-loss.js";
import { isOneHot, labelBaseline, resolveObjective, targetKindOf } from "./objective.js";
import { Sequential } from "./sequential.js";
import type { ActivationName } from "./activations.js";

const net = (outputs: number, activation: ActivationName) =>
  new Sequential([new Dense({ inputSize: 3, outputSize: outputs, activation, seed: 1 })]);

describe("resolveObjective", () => {
  it("decides loss, logits, reduction, task and classes from the output and the targets", () => {
    const pick = (outputs: number, activation: ActivationName, kind?: "labels" | "values") => {
      const o = resolveObjective(net(outputs, activation), {}, kind);
      return [o.loss, o.fromLogits, o.reduction, o.task, o.classes];
    };
    expect(pick(10, "sigmoid")).toEqual(["bce", true, "batchMean", "multiclass", 10]);
    expect(pick(1, "sigmoid")).toEqual(["bce", true, "batchMean", "binary", 2]);
    expect(pick(3, "sigmoid", "values")).toEqual(["bce", true, "batchMean", "multilabel", 3]);
    expect(pick(4, "softmax")).toEqual(["crossEntropy", true, "batchMean", "multiclass", 4]);
    expect(pick(4, "identity", "labels")).toEqual(["crossEntropy", true, "batchMean",
      "multiclass", 4]);
    expect(pick(4, "identity", "values")).toEqual(["mse", false, "batchMean", "regression", 0]);
    expect(pick(1, "identity")).toEqual(["mse", false, "batchMean", "regression", 0]);
    expect(pick(1, "tanh")).toEqual(["mse", false, "batchMean", "regression", 0]);
    // A final Activation layer counts as the output activation.
    const wrapped = new Sequential([new Dense({ inputSize: 3, outputSize: 2, seed: 1 }),
      new Activation("softmax")]);
    expect(resolveObjective(wrapped).loss).toBe("crossEntropy");
  });

  it("takes the options' loss, reduction and task", () => {
    const o = resolveObjective(net(3, "identity"), { loss: "mse", reduction: "sum",
      task: "multiclass" }, "oneHot");
    expect([o.loss, o.reduction, o.task, o.classes]).toEqual(["mse", "sum", "multiclass", 3]);
    expect(resolveObjective(net(2, "softmax"), { loss: "bce" }).fromLogits).toBe(false);
  });

  it("refuses pairs that cannot be right, naming the caller", () => {
    expect(() => resolveObjective(net(3, "sigmoid"), { loss: "crossEntropy" }))
      .toThrow("fit: crossEntropy needs a model ending in softmax or identity (logits); " +
        "this one ends in sigmoid");
    expect(() => resolveObjective(net(1, "tanh"), { loss: "bce" }, undefined, "evaluate"))
      .toThrow("evaluate: bce needs probabilities or logits; this model ends in tanh");
    expect(() => resolveObjective(net(3, "sigmoid"), { task: "binary" }))
      .toThrow("fit: a binary task needs a model with 1 output; this one has 3");
    expect(() => resolveObjective(net(1, "sigmoid"), { task: "multiclass" }))
      .toThrow(/a multiclass task needs 2 or more outputs; this model has 1/);
    expect(() => resolveObjective(net(1, "sigmoid"), { loss: "hinge" as "bce" }))
      .toThrow('fit: loss must be one of bce, crossEntropy, mse; got "hinge"');
    expect(() => resolveObjective(net(1, "sigmoid"), { los: "bce" } as never))
      .toThrow(/fit: unknown option "los"; did you mean "loss"\?/);
  });

  it("reads the target's form: labels, one-hot rows or values", () => {
    expect(targetKindOf(tensor([0, 2, 1]))).toBe("labels");
    expect(targetKindOf(tensor([[0, 1], [1, 0]]))).toBe("oneHot");
    expect(targetKindOf(tensor([[1, 1], [1, 0]]))).toBe("values");
    expect(targetKindOf(tensor([[0.2, 0.8], [1, 0]]))).toBe("values");
    expect(isOneHot(tensor([[0.5, 0.5], [1, 0]]), [1])).toBe(true); // only row 1 is looked at
  });
});

describe("labelBaseline", () => {
  it("is the frequency baseline of the labels, scaled as the reduction scales", () => {
    const bce = resolveObjective(net(2, "sigmoid"));
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)); // one output's p ln p terms
    expect(labelBaseline(bce, [1, 3])).toBeCloseTo(2 * h, 12); // batchMean: summed over outputs
    const mean = resolveObjective(net(2, "sigmoid"), { reduction: "mean" });
    expect(labelBaseline(mean, [1, 3])).toBeCloseTo(h, 12);
    const sum = resolveObjective(net(2, "sigmoid"), { reduction: "sum" });
    expect(labelBaseline(sum, [1, 3])).toBeCloseTo(8 * h, 12);
    const ce = resolveObjective(net(2, "softmax"));
    expect(labelBaseline(ce, [1, 3])).toBeCloseTo(h, 12); // the label entropy
    // One sigmoid output: p is the frequency of class 1.
    const binary = resolveObjective(net(1, "sigmoid"));
    expect(labelBaseline(binary, [3, 1])).toBeCloseTo(h, 12);
    // Ten balanced classes with the seed's BCE: 10·H(0.1) ≈ 3.2508.
    const seed = resolveObjective(net(10, "sigmoid"));
    expect(labelBaseline(seed, new Array(10).fill(7))).toBeCloseTo(3.2508297, 6);
  });
});

describe("modelLoss on the objective's rules", () => {
  it("scores identity outputs as logits for bce and takes class labels for crossEntropy", () => {
    const dense = new Dense({ inputSize: 2, outputSize: 3, seed: 2 });
    const model = new Sequential([dense, new Activation("softmax")]);
    const x = tensor([[1, 2], [3, -1]]);
    const expected = crossEntropy(dense.forward(x), [2, 0]).item();
    expect(modelLoss(model, x, [2, 0], "crossEntropy").item()).toBeCloseTo(expected, 6);
    expect(modelLoss(model, x, tensor([2, 0]), "crossEntropy").item()).toBeCloseTo(expected, 6);
    const logits = new Sequential([new Dense({ inputSize: 2, outputSize: 1, seed: 3 })]);
    const y = tensor([[1], [0]]);
    const z = logits.forward(x).data;
    const byHand = (Math.log1p(Math.exp(-z[0])) + Math.log1p(Math.exp(z[1]))) / 2;
    expect(modelLoss(logits, x, y, "bce").item()).toBeCloseTo(byHand, 6);
  });
});
