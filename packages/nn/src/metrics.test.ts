// Metrics: the confusion matrix, per-class accuracy, and the accumulator for each task.
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  MetricAccumulator, addToConfusion, emptyConfusion, perClassAccuracy, predictedClasses,
} from "./metrics.js";
import { resolveObjective } from "./objective.js";
import { smallNet } from "../test/fit-fixtures.js";

describe("confusion matrix", () => {
  it("counts rows by true label, columns by prediction", () => {
    const m = emptyConfusion(3);
    expect(addToConfusion(m, [0, 1, 2, 2], [0, 2, 2, 1])).toBe(2);
    expect(m).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 1]]);
    expect(perClassAccuracy(m)).toEqual([1, 0, 0.5]);
    expect(perClassAccuracy(emptyConfusion(1))).toEqual([Number.NaN]);
  });

  it("predicts the first largest score of each row", () => {
    expect(Array.from(predictedClasses(tensor([[1, 3, 3], [-1, -2, -3]])))).toEqual([1, 0]);
  });
});

describe("MetricAccumulator", () => {
  it("multiclass: accuracy and the confusion matrix over batches", () => {
    const m = new MetricAccumulator(resolveObjective(smallNet(3, "softmax")), true);
    m.add(tensor([[2, 1, 0], [0, 3, 1]]), tensor([[1, 0, 0], [0, 0, 1]]), Int32Array.of(0, 2));
    m.add(tensor([[0, 0, 5]]), tensor([[0, 0, 1]]), Int32Array.of(2));
    expect(m.accuracy()).toBeCloseTo(2 / 3, 15);
    expect(m.confusion).toEqual([[1, 0, 0], [0, 0, 0], [0, 1, 1]]);
    expect(m.perClassAccuracy()).toEqual([1, Number.NaN, 0.5]);
    expect(m.mae()).toBeNull();
  });

  it("binary: a logit above 0 is class 1", () => {
    const m = new MetricAccumulator(resolveObjective(smallNet(1, "sigmoid")), true);
    const labels = Int32Array.of(1, 1, 0, 0);
    m.add(tensor([[0.5], [-0.1], [0], [3]]), tensor([[1], [1], [0], [0]]), labels);
    expect(m.accuracy()).toBe(0.5);
    expect(m.confusion).toEqual([[1, 1], [1, 1]]);
  });

  it("multilabel: each label thresholded on its own; per-label accuracy", () => {
    const m = new MetricAccumulator(resolveObjective(smallNet(2, "sigmoid"), {}, "values"));
    m.add(tensor([[1, -1], [1, 1]]), tensor([[1, 0], [0, 1]]), null);
    expect(m.accuracy()).toBe(0.75);
    expect(m.perClassAccuracy()).toEqual([0.5, 1]);
    expect(m.confusion).toBeNull();
  });

  it("regression: the mean absolute error over every output", () => {
    const m = new MetricAccumulator(resolveObjective(smallNet(1, "identity")), true);
    m.add(tensor([[1], [2]]), tensor([[1.5], [0]]), null);
    m.add(tensor([[0]]), tensor([[1]]), null);
    expect(m.mae()).toBeCloseTo(3.5 / 3, 15);
    expect(m.accuracy()).toBeNull();
    expect(m.perClassAccuracy()).toBeNull();
  });
});
