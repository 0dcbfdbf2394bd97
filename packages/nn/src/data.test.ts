// prepareData: x and y from nested arrays, flat typed arrays and tensors, checked against the
// model (sizes, labels, target ranges); validation splits.
import { Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { prepareData, splitValidation } from "./data.js";
import { fromSpec } from "./index.js"; // the package entry: every layer class registered
import { smallNet } from "../test/fit-fixtures.js";

describe("prepareData", () => {
  it("takes nested arrays: integer labels for several outputs, values for one", () => {
    const multi = prepareData(smallNet(3, "softmax"), { x: [[0, 1], [2, 3]], y: [2, 0] });
    expect(multi.x.shape).toEqual([2, 2]);
    expect(multi.x.dtype).toBe("float32");
    expect(Array.from(multi.labels ?? [])).toEqual([2, 0]);
    expect(multi.targets).toBeNull();
    expect(Array.from(multi.indices)).toEqual([0, 1]);
    expect(multi.objective.task).toBe("multiclass");
    const binary = prepareData(smallNet(1, "sigmoid"), { x: [[0, 1], [2, 3]], y: [1, 0] });
    expect(binary.labels).toBeNull();
    expect(binary.targets?.toArray()).toEqual([[1], [0]]);
    expect(binary.objective.task).toBe("binary");
  });

  it("cuts flat typed arrays into rows of the model's input size", () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const regression = prepareData(smallNet(1, "identity"), { x, y: Float64Array.of(1, 2, 3) });
    expect(regression.x.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(regression.targets?.shape).toEqual([3, 1]);
    expect(regression.objective.loss).toBe("mse");
    // n·outputs values are a [n, outputs] matrix: one-hot rows here.
    const oneHot = prepareData(smallNet(2, "sigmoid"), { x, y: [1, 0, 0, 1, 1, 0] });
    expect(oneHot.targets?.toArray()).toEqual([[1, 0], [0, 1], [1, 0]]);
    expect(oneHot.objective.task).toBe("multiclass");
    const multiHot = prepareData(smallNet(2, "sigmoid"), { x, y: [[1, 1], [0, 1], [0, 0]] });
    expect(multiHot.objective.task).toBe("multilabel");
  });

  it("takes tensors as they are (no copy) and Uint8Array labels, with indices", () => {
    const x = new Tensor(new Float32Array(8), [4, 2]);
    const labels = Uint8Array.of(0, 1, 2, 1);
    const data = prepareData(smallNet(3, "sigmoid"), { x, y: labels, indices: [3, 1] });
    expect(data.x).toBe(x);
    expect(data.labels).toBe(labels);
    expect(Array.from(data.indices)).toEqual([3, 1]);
    expect(data.objective.loss).toBe("bce");
  });

  it("names the problem: sizes, labels, ranges, shapes", () => {
    const model = smallNet(3, "softmax");
    expect(() => prepareData(model, { x: [[1, 2, 3]], y: [0] }))
      .toThrow("fit: x has 3 features per sample but the model takes 2; x is [1, 3]");
    expect(() => prepareData(model, { x: [1, 2, 3], y: [0] }))
      .toThrow("fit: x has 3 values, not a multiple of the model's 2 input features");
    const noFlatten = fromSpec({ input: [1, 4, 4], layers: [
      { type: "conv2d", outChannels: 3, kernelSize: 3 },
      { type: "dense", units: 2, activation: "softmax" }] });
    expect(() => prepareData(noFlatten, { x: new Float32Array(32), y: [0, 1] }))
      .toThrow("fit: the model's output per sample is [3, 2, 2]; training and evaluation " +
        "need one vector of outputs per sample (add a flatten or globalAvgPool2d layer before " +
        "the last dense layer)");
    const ids = fromSpec({ input: [3], layers: [
      { type: "embedding", numEmbeddings: 5, embeddingDim: 2 }, { type: "flatten" },
      { type: "dense", units: 1, activation: "sigmoid" }] });
    expect(() => prepareData(ids, { x: [[0, 1, 2], [3, 4, 7]], y: [0, 1] })).toThrow(
      "fit: x[1] holds 7 (value 2 of the sample); the embedding layer takes integer ids in " +
        "[0, 5)");
    expect(() => prepareData(ids, { x: [[0, 1.5, 2]], y: [0] })).toThrow("x[0] holds 1.5");
    // Values a CSV reader leaves as they are: a missing one is not read as 0, a string not
    // shown as a number.
    const one = smallNet(1, "identity");
    expect(() => prepareData(one, { x: [[1, 2], [3, 4]], y: [1, null] as never }))
      .toThrow("fit: y[1] is null; y must hold numbers (a missing value?)");
    expect(() => prepareData(one, { x: [1, 2, undefined, 4] as never, y: [1, 2] }))
      .toThrow("fit: x[2] is undefined; x must hold numbers (a missing value?)");
    expect(() => prepareData(model, { x: [[1, 2], [3, 4]], y: ["0", "1"] as never }))
      .toThrow('fit: y[0] is the string "0"; y must hold numbers (convert with Number())');
    expect(() => prepareData(model, { x: [[1, 2], [3, 4]], y: ["setosa", "virginica"] as never }))
      .toThrow('fit: y[0] is the string "setosa"; y must hold numbers (map each class name to ' +
        "an integer label, 0, 1, …)");
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(prepareData(model, { x, y: [0, 1] }).x.requiresGrad).toBe(false);
    // A sample of [1, 2] is not the model's [2]: Dense would map it to [1, 3] outputs.
    expect(() => prepareData(model, { x: [[[1, 2]], [[3, 4]]], y: [0, 1] }))
      .toThrow("fit: x must be [samples, 2] for this model, whose input is [2]; got [2, 1, 2] " +
        "(the same values per sample: x.reshape([-1, 2]))");
    expect(() => prepareData(model, { x: [[1, 2], [3, 4]], y: [0, 3] }))
      .toThrow("fit: y[1] is 3; class labels must be integers in [0, 3)");
    expect(() => prepareData(model, { x: [[1, 2], [3, 4]], y: [0, 0.5] }))
      .toThrow("fit: y[1] is 0.5; class labels must be integers in [0, 3)");
    expect(() => prepareData(model, { x: [[1, 2], [3, 4]], y: [0, 1, 2] }))
      .toThrow("fit: y has 3 values for 2 samples; give one label or value per sample, or " +
        "3 per sample (6)");
    expect(() => prepareData(model, { x: [[1, 2]], y: tensor([[1, 0]]) }))
      .toThrow("fit: y must have one row of 3 per sample, [1, 3], or one value per sample; " +
        "got [1, 2]");
    expect(() => prepareData(smallNet(1, "sigmoid"), { x: [[1, 2], [3, 4]], y: [1, 2] }))
      .toThrow("fit: y[1] is 2; bce targets must be in [0, 1] (0/1 labels or probabilities)");
    expect(() => prepareData(smallNet(2, "identity"), { x: [[1, 2]], y: [0] }, { loss: "mse" }))
      .toThrow("fit: a regression task needs y as [samples, 2] values; got one value per sample");
    expect(() => prepareData(model, { x: [[1, 2]], y: [0], indices: [1] }, {}, "evaluate"))
      .toThrow("evaluate: indices[0] is 1; rows of x are 0 to 0");
    expect(() => prepareData(model, { x: [[1, 2]] } as never))
      .toThrow("fit: data must be { x, y } (and optionally indices)");
  });
});

describe("splitValidation", () => {
  it("holds out the last fraction of the rows, before shuffling", () => {
    const data = prepareData(smallNet(1, "sigmoid"), {
      x: Array.from({ length: 10 }, (_, i) => [i, i]), y: new Array(10).fill(1),
    });
    const { train, validation } = splitValidation(data, 0.25);
    expect(Array.from(train.indices)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(validation.indices)).toEqual([7, 8, 9]);
    expect(validation.x).toBe(train.x);
    expect(() => splitValidation(data, 1)).toThrow(/validationSplit must be a number in \(0, 1\)/);
    expect(() => splitValidation(data, 0.95)).toThrow(/0.95 of 10 samples leaves one side empty/);
  });
});
