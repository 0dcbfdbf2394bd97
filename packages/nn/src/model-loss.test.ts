// Unit tests for modelLoss: the stable logits path is taken automatically and agrees with the
// literal formula where that one is finite.
import { describe, expect, it } from "vitest";
import { tensor } from "@tapegrad/core";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { bce, crossEntropy } from "./loss.js";
import { modelLoss } from "./model-loss.js";
import { Sequential } from "./sequential.js";

function sigmoidModel(scale: number, dtype: "float32" | "float64" = "float32"): Sequential {
  const layer = new Dense({ inputSize: 2, outputSize: 2, activation: "sigmoid", seed: 1, dtype });
  layer.weight.data.set([scale, -scale, -scale, scale]);
  return new Sequential([layer]);
}

describe("modelLoss", () => {
  it("equals the literal BCE on a sigmoid model where the literal form is finite", () => {
    const model = sigmoidModel(0.5, "float64");
    const x = tensor([[1, 2], [-1, 0.5]], { dtype: "float64" });
    const y = tensor([[1, 0], [0, 1]], { dtype: "float64" });
    const stable = modelLoss(model, x, y, "bce", { reduction: "batchMean" }).item();
    const literal = bce(model.forward(x), y, { reduction: "batchMean" }).item();
    expect(stable).toBeCloseTo(literal, 12);
  });

  it("stays exact at float32 logits of ±40, where clamped probabilities would not", () => {
    const model = sigmoidModel(20); // logits ±40 for x = [1, -1]
    const x = tensor([[1, -1]]);
    const y = tensor([[0, 1]]); // both outputs confidently wrong: loss 40 + 40
    const loss = modelLoss(model, x, y, "bce", { reduction: "sum" });
    expect(loss.item()).toBeCloseTo(80, 4);
    loss.backward();
    expect(Number.isFinite(model.parameters()[0].grad!.data[0])).toBe(true);
  });

  it("uses the logits for cross-entropy on a softmax model", () => {
    const dense = new Dense({ inputSize: 2, outputSize: 3, seed: 2 });
    const model = new Sequential([dense, new Activation("softmax")]);
    const x = tensor([[1, 2], [3, -1]]);
    const expected = crossEntropy(dense.forward(x), [2, 0]).item();
    expect(modelLoss(model, x, [2, 0], "crossEntropy").item()).toBeCloseTo(expected, 6);
  });

  it("refuses cross-entropy on a sigmoid model and unknown loss names", () => {
    const model = sigmoidModel(1);
    const x = tensor([[1, 2]]);
    expect(() => modelLoss(model, x, [0], "crossEntropy")).toThrow(/ends in sigmoid/);
    expect(() => modelLoss(model, x, [0], "hinge" as "bce")).toThrow(/got "hinge"/);
  });
});
