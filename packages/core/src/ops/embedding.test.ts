// embedding, classProbabilities and dropout: values, gradients, run-time index checks, seeding.
import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { mul } from "./arithmetic.js";
import { dropout } from "./dropout.js";
import { classProbabilities } from "./class-probabilities.js";
import { embedding } from "./embedding.js";
import { sum } from "./reduce.js";

const f32 = (values: number[], shape = [values.length]) =>
  new Tensor(Float32Array.from(values), shape);

describe("embedding", () => {
  const table = new Tensor(Float64Array.from([0, 1, 10, 11, 20, 21]), [3, 2]);
  it("picks rows; repeated indices accumulate into the table's gradient", () => {
    const t = table.clone().requireGrad();
    const idx = f32([2, 0, 2, 2], [2, 2]);
    const y = embedding(idx, t);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(Array.from(y.data)).toEqual([20, 21, 0, 1, 20, 21, 20, 21]);
    const w = new Tensor(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]);
    sum(mul(y, w)).backward();
    expect(Array.from(t.grad!.data)).toEqual([3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8]);
  });
  it("reads the index tensor when it runs: a bad index is an error naming its position", () => {
    expect(() => embedding(f32([0, 3]), table)).toThrow(
      "embedding: index 3 at position 1 is not an integer in [0, 3)");
    expect(() => embedding(f32([0.5]), table)).toThrow(/index 0.5 at position 0/);
    expect(() => embedding(f32([0]), f32([1, 2, 3]))).toThrow(
      "embedding: table must be [rows, dim]; got [3]");
  });
});

describe("classProbabilities", () => {
  it("one-hot along axis 1 of [n, h] labels, and label smoothing", () => {
    const labels = f32([0, 2, 1, 1], [2, 2]);
    const q = classProbabilities(labels, 3);
    expect(q.shape).toEqual([2, 3, 2]);
    expect(Array.from(q.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0]);
    const smooth = classProbabilities(f32([1]), 4, { labelSmoothing: 0.2, dtype: "float64" });
    expect(Array.from(smooth.data)).toEqual([0.05, 0.8500000000000001, 0.05, 0.05]);
  });
  it("rejects bad labels when it runs and bad options at once", () => {
    expect(() => classProbabilities(f32([4]), 4)).toThrow(
      "classProbabilities: index 4 at position 0 is not an integer in [0, 4)");
    expect(() => classProbabilities(f32([1]), 4, { labelSmoothing: 1.5 })).toThrow(
      "classProbabilities: labelSmoothing must be in [0, 1]; got 1.5");
  });
});

describe("dropout", () => {
  const x = new Tensor(new Float32Array(20000).fill(1), [200, 100]);
  it("zeroes about p of the elements and scales the rest by 1/(1 − p)", () => {
    const y = dropout(x, 0.3, { rng: new Rng(7) });
    const kept = Array.from(y.data).filter((v) => v !== 0);
    expect(kept.every((v) => v === Math.fround(1 / 0.7))).toBe(true);
    expect(Math.abs(kept.length / 20000 - 0.7)).toBeLessThan(0.015);
  });
  it("is reproducible from the seed, and each call advances the generator", () => {
    const rng = new Rng(3);
    const a = dropout(x, 0.5, { rng });
    const b = dropout(x, 0.5, { rng });
    const again = dropout(x, 0.5, { rng: new Rng(3) });
    expect(Array.from(again.data)).toEqual(Array.from(a.data));
    expect(Array.from(b.data)).not.toEqual(Array.from(a.data));
  });
  it("is the identity in eval mode or at p = 0, and zeros at p = 1", () => {
    expect(dropout(x, 0.5, { training: false })).toBe(x);
    expect(dropout(x, 0, { rng: new Rng(1) })).toBe(x);
    expect(Array.from(dropout(f32([2, -3]), 1, { rng: new Rng(1) }).data)).toEqual([0, -0]);
  });
  it("uses a given mask; the gradient is the scaled mask", () => {
    const v = f32([1, 2, 3, 4]).requireGrad();
    const y = dropout(v, 0.5, { mask: f32([1, 0, 0, 1]) });
    expect(Array.from(y.data)).toEqual([2, 0, 0, 8]);
    sum(y).backward();
    expect(Array.from(v.grad!.data)).toEqual([2, 0, 0, 2]);
  });
  it("errors are clear", () => {
    expect(() => dropout(x, 0.5)).toThrow(
      "dropout: training needs rng (a seeded Rng) or mask to draw from");
    expect(() => dropout(x, 1.5, { rng: new Rng(1) })).toThrow(
      "dropout: p must be in [0, 1]; got 1.5");
    expect(() => dropout(x, 0.5, { mask: f32([1]) })).toThrow(
      "dropout: mask is [1] but x is [200, 100]");
  });
});
