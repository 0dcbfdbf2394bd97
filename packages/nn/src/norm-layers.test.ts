// Dropout, BatchNorm1d/2d, LayerNorm and Embedding: train/eval behaviour, running statistics
// as buffers, values computed here, initial tables and errors.
import { Rng, Tensor, manualSeed, randn, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { BatchNorm1d, BatchNorm2d } from "./batch-norm.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { LayerNorm } from "./layer-norm.js";

const values = (t: Tensor) => Array.from(t.data);

describe("Dropout", () => {
  it("zeroes about p of the elements and scales the rest by 1/(1 − p) while training", () => {
    const x = randn([50, 40], { seed: 1 });
    const layer = new Dropout({ p: 0.25, seed: 2 });
    const y = layer.forward(x);
    let zeros = 0;
    y.data.forEach((v, i) => {
      if (v === 0) zeros++;
      else expect(v).toBe(Math.fround(x.data[i] * Math.fround(1 / 0.75)));
    });
    expect(zeros / x.size).toBeGreaterThan(0.22);
    expect(zeros / x.size).toBeLessThan(0.28);
    // A new mask per call; the same sequence from the same seed.
    expect(values(layer.forward(x))).not.toEqual(values(y));
    expect(values(new Dropout({ p: 0.25, seed: 2 }).forward(x))).toEqual(values(y));
  });

  it("passes the input through in evaluation mode and for p = 0; p = 1 gives zeros", () => {
    const x = randn([3, 4], { seed: 3 });
    const layer = new Dropout({ p: 0.5, rng: new Rng(4) });
    const state = layer.rng.getState();
    expect(layer.eval().forward(x)).toBe(x);
    expect(layer.rng.getState()).toEqual(state); // nothing drawn
    expect(new Dropout({ p: 0 }).forward(x)).toBe(x);
    expect(values(new Dropout({ p: 1, seed: 1 }).forward(x)).every((v) => v === 0)).toBe(true);
  });

  it("draws from the process-wide generator by default, which manualSeed restarts", () => {
    const x = randn([8, 8], { seed: 5 });
    const layer = new Dropout();
    expect(layer.p).toBe(0.5);
    manualSeed(7);
    const first = values(layer.forward(x));
    manualSeed(7);
    expect(values(layer.forward(x))).toEqual(first);
  });

  it("refuses bad options", () => {
    expect(() => new Dropout({ p: 1.5 })).toThrow("Dropout: p must be a number in [0, 1]; got 1.5");
    expect(() => new Dropout({ p: 0.5, seed: 1, rng: new Rng(1) }))
      .toThrow("Dropout: pass rng or seed, not both");
    expect(() => new Dropout({ rate: 0.5 } as never)).toThrow(/Dropout: unknown option "rate"/);
  });
});

/** Mean and biased/unbiased variance of channel `c` of x [n, C, ...]. */
function channelStats(x: Tensor, c: number) {
  const [n, channels] = x.shape;
  const plane = x.size / (n * channels);
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < plane; j++) v.push(x.data[(i * channels + c) * plane + j]);
  }
  const mean = v.reduce((s, a) => s + a, 0) / v.length;
  const squares = v.reduce((s, a) => s + (a - mean) ** 2, 0);
  return { mean, biased: squares / v.length, unbiased: squares / (v.length - 1) };
}

describe("BatchNorm2d", () => {
  const x = randn([4, 3, 5, 5], { seed: 8, dtype: "float64" }).mul(2).add(1);

  it("normalises by the batch's statistics while training and updates the buffers", () => {
    const bn = new BatchNorm2d({ numFeatures: 3, dtype: "float64" });
    expect(bn.namedParameters().map(([n]) => n)).toEqual(["weight", "bias"]);
    expect(bn.namedBuffers().map(([n, b]) => [n, b.shape, b.dtype])).toEqual([
      ["runningMean", [3], "float64"], ["runningVar", [3], "float64"],
      ["numBatchesTracked", [], "float64"],
    ]);
    const y = bn.forward(x);
    for (let c = 0; c < 3; c++) {
      const out = channelStats(y, c);
      expect(Math.abs(out.mean)).toBeLessThan(1e-12);
      expect(out.biased).toBeCloseTo(1, 3); // eps 1e-5 keeps it just under 1
      const s = channelStats(x, c);
      expect(bn.runningMean!.data[c]).toBeCloseTo(0.1 * s.mean, 14);
      expect(bn.runningVar!.data[c]).toBeCloseTo(0.9 + 0.1 * s.unbiased, 14);
    }
    expect(bn.numBatchesTracked!.data[0]).toBe(1);
  });

  it("uses the running statistics in evaluation mode, with weight and bias", () => {
    const bn = new BatchNorm2d({ numFeatures: 3, dtype: "float64", eps: 1e-3 });
    bn.runningMean!.data.set([1, -2, 0.5]);
    bn.runningVar!.data.set([4, 0.25, 1]);
    bn.weight!.data.set([2, 1, 0.5]);
    bn.bias!.data.set([0, 3, -1]);
    const y = bn.eval().forward(x);
    const plane = 25;
    y.data.forEach((v, k) => {
      const c = Math.floor(k / plane) % 3;
      const mean = [1, -2, 0.5][c];
      const want = (x.data[k] - mean) / Math.sqrt([4, 0.25, 1][c] + 1e-3) * [2, 1, 0.5][c] +
        [0, 3, -1][c];
      expect(v).toBeCloseTo(want, 12);
    });
    expect(bn.numBatchesTracked!.data[0]).toBe(0);
    expect(values(bn.runningMean!)).toEqual([1, -2, 0.5]);
  });

  it("momentum null averages every batch; no running stats: batch statistics in both modes", () => {
    const bn = new BatchNorm2d({ numFeatures: 3, momentum: null, dtype: "float64" });
    const second = x.mul(-0.5);
    bn.forward(x);
    bn.forward(second);
    const mean0 = (channelStats(x, 0).mean + channelStats(second, 0).mean) / 2;
    expect(bn.runningMean!.data[0]).toBeCloseTo(mean0, 14);
    const plain = new BatchNorm2d({ numFeatures: 3, trackRunningStats: false, affine: false,
      dtype: "float64" });
    expect(plain.parameters()).toHaveLength(0);
    expect(plain.buffers()).toHaveLength(0);
    expect(values(plain.eval().forward(x))).toEqual(values(plain.train().forward(x)));
  });

  it("refuses inputs of the wrong form and bad options", () => {
    const bn = new BatchNorm2d({ numFeatures: 4 });
    expect(() => bn.forward(randn([2, 3, 5, 5], { seed: 1 })))
      .toThrow("BatchNorm2d: input must be [batch, 4, height, width]; got [2, 3, 5, 5]");
    expect(() => bn.forward(randn([2, 4], { seed: 1 }))).toThrow(/got \[2, 4\]/);
    expect(() => new BatchNorm2d({ numFeatures: 4, momentum: 2 }))
      .toThrow("BatchNorm2d: momentum must be in [0, 1] or null; got 2");
    expect(() => new BatchNorm2d({ numFeatures: 4, eps: -1 }))
      .toThrow("BatchNorm2d: eps must be a finite number ≥ 0; got -1");
    expect(() => new BatchNorm2d({ num_features: 4 } as never)).toThrow(/unknown option/);
  });
});

describe("BatchNorm1d", () => {
  it("normalises [batch, C] and [batch, C, length] per feature", () => {
    const bn = new BatchNorm1d({ numFeatures: 2, dtype: "float64" });
    const y = bn.forward(tensor([[1, 10], [3, 20], [5, 60]], { dtype: "float64" }));
    const s = Math.sqrt(8 / 3 + 1e-5);
    expect(values(y).filter((_, i) => i % 2 === 0)).toEqual([-2 / s, 0, 2 / s]);
    expect(bn.forward(randn([3, 2, 7], { seed: 2, dtype: "float64" })).shape).toEqual([3, 2, 7]);
    expect(() => bn.forward(randn([3, 2, 4, 4], { seed: 2 })))
      .toThrow("BatchNorm1d: input must be [batch, 2] or [batch, 2, length]; got [3, 2, 4, 4]");
    expect(() => bn.forward(tensor([[1, 2]], { dtype: "float64" })))
      .toThrow("batchNorm: training needs more than 1 value per channel; got x [1, 2]");
  });
});

describe("LayerNorm", () => {
  it("normalises each sample over its last dims, then scales and shifts", () => {
    const ln = new LayerNorm({ normalizedShape: 4, dtype: "float64", eps: 0 });
    ln.weight!.data.set([1, 2, 1, 1]);
    ln.bias!.data.set([0, 0, 0, 5]);
    const y = ln.forward(tensor([[1, 2, 3, 6], [0, 0, 4, 4]], { dtype: "float64" }));
    const sd = Math.sqrt((4 + 1 + 0 + 9) / 4); // deviations from the mean 3: −2, −1, 0, 3
    expect(values(y).slice(0, 4).map((v) => +v.toFixed(12)))
      .toEqual([-2 / sd, -2 / sd, 0, 3 / sd + 5].map((v) => +v.toFixed(12)));
    expect(values(y).slice(4)).toEqual([-1, -2, 1, 6]);
    const two = new LayerNorm({ normalizedShape: [3, 4], elementwiseAffine: false });
    expect(two.parameters()).toHaveLength(0);
    expect(two.forward(randn([2, 3, 4], { seed: 1 })).shape).toEqual([2, 3, 4]);
    expect(() => two.forward(randn([2, 4, 3], { seed: 1 })))
      .toThrow("LayerNorm: input must be [batch, ..., 3, 4]; got [2, 4, 3]");
    expect(() => new LayerNorm({ normalizedShape: [] }))
      .toThrow("LayerNorm: normalizedShape must be a positive integer or a list of them; got []");
  });
});

describe("Embedding", () => {
  it("looks up rows of its table; N(0, 1) by default, as PyTorch", () => {
    const layer = new Embedding({ numEmbeddings: 200, embeddingDim: 50, seed: 3 });
    expect(layer.weight.shape).toEqual([200, 50]);
    const w = values(layer.weight);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
    const ids = tensor([[3, 0], [3, 199]]);
    const y = layer.forward(ids);
    expect(y.shape).toEqual([2, 2, 50]);
    expect(values(y).slice(0, 50)).toEqual(w.slice(150, 200));
    expect(values(y).slice(150)).toEqual(w.slice(199 * 50));
    expect(() => layer.forward(tensor([1, 200])))
      .toThrow("embedding: index 200 at position 1 is not an integer in [0, 200)");
    const zeroed = new Embedding({ numEmbeddings: 2, embeddingDim: 2, init: "zeros" });
    expect(values(zeroed.weight)).toEqual([0, 0, 0, 0]);
  });
});
