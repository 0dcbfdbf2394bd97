// batchNorm and layerNorm against PyTorch's values, running statistics, modes and errors.
import { describe, expect, it } from "vitest";
import { torchCases } from "../../test/fixtures/torch-cnn.js";
import { expectClose, wave } from "../../test/fixtures/wave.js";
import { Tensor } from "../tensor.js";
import { noGrad } from "../tape.js";
import { mul } from "./arithmetic.js";
import { batchNorm, layerNorm } from "./norm.js";
import { sum } from "./reduce.js";

const f64 = (values: number[]) => new Tensor(Float64Array.from(values), [values.length]);

describe("batchNorm against PyTorch (float64)", () => {
  const c = torchCases.batchNorm;
  it("training: batch statistics, gradients, and the running statistics' update", () => {
    const x = wave(c.x, 0.8, 0.2).requireGrad();
    const weight = f64([1.5, -0.7]).requireGrad();
    const bias = f64([0.2, 0.4]).requireGrad();
    const runningMean = f64([0.1, -0.3]);
    const runningVar = f64([1.2, 0.8]);
    const y = batchNorm(x, {
      runningMean, runningVar, weight, bias, training: true, momentum: 0.2, eps: 1e-3,
    });
    expectClose(y.data, c.out, 1e-12, 1e-12, "y");
    expectClose(runningMean.data, c.runningMean, 1e-14, 0, "runningMean");
    expectClose(runningVar.data, c.runningVar, 1e-14, 0, "runningVar");
    sum(mul(y, wave(c.x, 0.37, 1.1))).backward();
    expectClose(x.grad!.data, c.dx, 1e-11, 1e-12, "dx");
    expectClose(weight.grad!.data, c.dgamma, 1e-12, 1e-12, "dgamma");
    expectClose(bias.grad!.data, c.dbeta, 1e-12, 1e-12, "dbeta");
    expect(runningMean.requiresGrad).toBe(false);
    // Eval mode reads the updated running statistics.
    const evaluated = batchNorm(x.detach(), {
      runningMean, runningVar, weight: weight.detach(), bias: bias.detach(), eps: 1e-3,
    });
    expectClose(evaluated.data, c.eval, 1e-12, 1e-12, "eval");
  });

  it("updates the running statistics under noGrad too, and not without them", () => {
    const x = wave([4, 3], 0.8, 0.2);
    const runningMean = f64([0, 0, 0]);
    const runningVar = f64([1, 1, 1]);
    noGrad(() => batchNorm(x, { runningMean, runningVar, training: true }));
    expect(Array.from(runningMean.data).some((v) => v !== 0)).toBe(true);
    const y = batchNorm(x, { training: true });
    // Without affine parameters each channel has mean 0.
    for (let ch = 0; ch < 3; ch++) {
      const m = [0, 1, 2, 3].reduce((s, n) => s + y.data[n * 3 + ch], 0) / 4;
      expect(Math.abs(m)).toBeLessThan(1e-15);
    }
  });

  it("counts batches in numBatchesTracked; momentum null averages every batch so far", () => {
    const batches = [wave([4, 2], 0.8, 0.2), wave([4, 2], 1.3, -0.4), wave([4, 2], 0.5, 2)];
    const runningMean = f64([5, 5]);
    const runningVar = f64([9, 9]);
    const numBatchesTracked = f64([0]);
    const options = { runningMean, runningVar, numBatchesTracked, momentum: null, training: true };
    for (const x of batches) noGrad(() => batchNorm(x, options));
    expect(numBatchesTracked.data[0]).toBe(3);
    // The first batch replaces the start (factor 1/1), then each counts 1/k: a plain average.
    for (let ch = 0; ch < 2; ch++) {
      const column = (x: Tensor) => [0, 1, 2, 3].map((n) => x.data[n * 2 + ch]);
      const means = batches.map((x) => column(x).reduce((s, v) => s + v, 0) / 4);
      const vars = batches.map((x, i) =>
        column(x).reduce((s, v) => s + (v - means[i]) ** 2, 0) / 3); // unbiased
      expect(runningMean.data[ch]).toBeCloseTo(means.reduce((s, v) => s + v, 0) / 3, 14);
      expect(runningVar.data[ch]).toBeCloseTo(vars.reduce((s, v) => s + v, 0) / 3, 14);
    }
    // Evaluation reads the statistics and counts nothing.
    batchNorm(batches[0], { runningMean, runningVar, numBatchesTracked });
    expect(numBatchesTracked.data[0]).toBe(3);
  });

  it("errors name the argument and the numbers", () => {
    const x = wave([4, 3, 2], 1, 0);
    expect(() => batchNorm(x)).toThrow(
      "batchNorm: eval mode (training: false) needs runningMean and runningVar");
    expect(() => batchNorm(x, { training: true, weight: f64([1, 2]) })).toThrow(
      "batchNorm: weight must be [3] for x [4, 3, 2]; got [2]");
    expect(() => batchNorm(wave([1, 3], 1, 0), { training: true })).toThrow(
      "batchNorm: training needs more than 1 value per channel; got x [1, 3]");
    expect(() => batchNorm(x, { training: true, momentum: 2 })).toThrow(
      "batchNorm: momentum must be in [0, 1] or null; got 2");
    const stats = { runningMean: f64([0, 0, 0]), runningVar: f64([1, 1, 1]), training: true };
    expect(() => batchNorm(x, { ...stats, momentum: null })).toThrow(
      "batchNorm: momentum null (a cumulative average) needs numBatchesTracked");
    expect(() => batchNorm(x, { training: true, numBatchesTracked: f64([0]) })).toThrow(
      "batchNorm: numBatchesTracked counts running-statistics updates; give runningMean");
    expect(() => batchNorm(x, { ...stats, numBatchesTracked: f64([0, 0]) })).toThrow(
      "batchNorm: numBatchesTracked must be [] or [1]; got [2]");
    expect(() => batchNorm(x, { runningMean: f64([0, 0, 0]), training: true })).toThrow(
      "batchNorm: give both runningMean and runningVar, or neither");
    expect(() => batchNorm(x, { trainng: true } as never)).toThrow(
      /batchNorm: unknown option "trainng"; did you mean "training"\?/);
  });
});

describe("batchNorm in eval mode without gradients (one kernel)", () => {
  it("gives the ops' values bit for bit, float32 and float64, with and without γ and β", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const make = (shape: number[], seed: number) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: size }, (_, i) => Math.sin(seed + i * 0.77) * 3);
        return new Tensor(
          dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values), shape);
      };
      const x = make([3, 4, 5, 2], 1);
      const runningMean = make([4], 2);
      const runningVar = new Tensor(make([4], 3).data.map((v) => v * v + 0.01), [4]);
      for (const [weight, bias] of [[null, null], [make([4], 4), make([4], 5)]]) {
        const options = { runningMean, runningVar, weight, bias, eps: 1e-3 };
        const fused = noGrad(() => batchNorm(x, options));
        // x requiring a gradient takes the ops (recorded for backward).
        const ops = batchNorm(x.clone().requireGrad(), options);
        expect(ops.requiresGrad).toBe(true);
        expect(fused.requiresGrad).toBe(false);
        expect(fused.dtype).toBe(dtype);
        expect(Array.from(fused.data)).toEqual(Array.from(ops.data));
      }
    }
  });
});

describe("layerNorm", () => {
  it("matches PyTorch over the last two dims with weight and bias (float64)", () => {
    const c = torchCases.layerNorm;
    const x = wave(c.x, 0.6, 0.4).requireGrad();
    const weight = wave([3, 4], 0.5, 1.0).requireGrad();
    const bias = wave([3, 4], 0.3, 2.0).requireGrad();
    const y = layerNorm(x, [3, 4], { weight, bias, eps: 1e-4 });
    expectClose(y.data, c.out, 1e-12, 1e-12, "y");
    sum(mul(y, wave(c.x, 0.37, 1.1))).backward();
    expectClose(x.grad!.data, c.dx, 1e-11, 1e-12, "dx");
    expectClose(weight.grad!.data, c.dweight, 1e-12, 1e-12, "dweight");
    expectClose(bias.grad!.data, c.dbias, 1e-12, 1e-12, "dbias");
  });

  it("errors name the shapes", () => {
    const x = wave([2, 3, 4], 1, 0);
    expect(() => layerNorm(x, [3])).toThrow(
      "layerNorm: normalizedShape [3] must be the last dimensions of x [2, 3, 4]");
    expect(() => layerNorm(x, [4], { weight: wave([3], 1, 0) })).toThrow(
      "layerNorm: weight must be [4]; got [3]");
  });
});
