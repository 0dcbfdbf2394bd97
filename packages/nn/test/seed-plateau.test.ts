// The seed's plateau, reproduced: all-zero weights never move, only the output biases learn.
//
// With every weight and bias zero, each hidden activation is lrelu(0) = 0, so dW_L = dz·a_{L-1}ᵀ
// is 0, and every earlier dz is w_iᵀ·dz ∗ lreluDer(a) = 0 because w_i = 0: the weights get
// exact zero gradients forever. Only the output biases learn, and BCE drives sigmoid(b_k) to the
// class frequency p_k, i.e. b_k → logit(p_k). The loss then sits at the constant-predictor
// baseline −Σ_k [p_k ln p_k + (1 − p_k) ln(1 − p_k)] (≈ 3.25 for MNIST's ten near-uniform
// classes; the seed's "converges to 3.24"), starting from 10·ln 2 ≈ 6.93 with every output 0.5
// (the seed printed 6.98 first).
import { Rng, Tensor } from "@tapegrad/core";
import { Dense, type InitName, SGD, Sequential, bce } from "@tapegrad/nn";
import { describe, expect, it } from "vitest";
import { type Matrix, type SeedLayer, seedStep, transpose } from "./reference/seed-mlp.js";

const CLASSES = 10;
const SAMPLES = 200;
const FEATURES = 20;
const WIDTHS = [FEATURES, 16, 12, CLASSES]; // three weight layers, two leaky-ReLU hidden
const SLOPE = 0.01;
const ALPHA = 2;
const STEPS = 400;

/** Seeded synthetic data: X ~ N(0, 1) [features, samples], labels argmax(T·x) one-hot. */
function syntheticData(seed: number): { X: Matrix; y: Matrix; labels: number[] } {
  const rng = new Rng(seed);
  const normals = (rows: number, cols: number): Matrix =>
    Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
  const X = normals(FEATURES, SAMPLES);
  const T = normals(CLASSES, FEATURES);
  const labels = Array.from({ length: SAMPLES }, (_, n) => {
    const scores = T.map((row) => row.reduce((s, t, k) => s + t * X[k][n], 0));
    return scores.indexOf(Math.max(...scores));
  });
  const y = Array.from({ length: CLASSES }, (_, k) => labels.map((l) => (l === k ? 1 : 0)));
  return { X, y, labels };
}

const { X, y, labels } = syntheticData(2024);
const frequencies = Array.from({ length: CLASSES }, (_, k) => {
  return labels.filter((l) => l === k).length / SAMPLES;
});
const baseline = -frequencies.reduce((s, p) => s + p * Math.log(p) + (1 - p) * Math.log(1 - p), 0);
const logit = (p: number) => Math.log(p / (1 - p));

const zeroLayers = (): SeedLayer[] =>
  WIDTHS.slice(1).map((out, i) => ({
    w: Array.from({ length: out }, () => new Array<number>(WIDTHS[i]).fill(0)),
    b: new Array<number>(out).fill(0),
  }));

function buildModel(dtype: "float32" | "float64", init: InitName): Dense[] {
  return WIDTHS.slice(1).map((out, i) => new Dense({
    inputSize: WIDTHS[i], outputSize: out, init, seed: i + 1, dtype, alpha: SLOPE,
    activation: i < WIDTHS.length - 2 ? "leakyRelu" : "sigmoid",
  }));
}

function batchFirst(m: Matrix, dtype: "float32" | "float64"): Tensor {
  const flat = transpose(m).flat();
  const data = dtype === "float64" ? Float64Array.from(flat) : Float32Array.from(flat);
  return new Tensor(data, [m[0].length, m.length]);
}

/** Every value is exactly zero (−0 included). */
const allZero = (values: ArrayLike<number>) => Array.from(values).every((v) => v === 0);

/** The seed's loop from all-zero layers; run once, shared by the tests (costs and dW per step). */
const reference = (() => {
  let cached: { params: SeedLayer[]; costs: number[]; dwAllZero: boolean[] } | undefined;
  return () => {
    if (cached) return cached;
    let params = zeroLayers();
    const costs: number[] = [];
    const dwAllZero: boolean[] = [];
    for (let step = 0; step < STEPS; step++) {
      const result = seedStep(params, X, y, SLOPE, ALPHA);
      dwAllZero.push(result.grads.dw.every((dw) => allZero(dw.flat())));
      costs.push(result.cost);
      params = result.params;
    }
    cached = { params, costs, dwAllZero };
    return cached;
  };
})();

/** Full-batch gradient descent in tapegrad; returns the loss of every step. */
function trainTapegrad(layers: Dense[], dtype: "float32" | "float64", onStep?: () => void) {
  const model = new Sequential(layers);
  const x = batchFirst(X, dtype);
  const target = batchFirst(y, dtype);
  const optimizer = new SGD(model.parameters(), { learningRate: ALPHA });
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    optimizer.zeroGrad();
    const loss = bce(model.forward(x), target, { reduction: "batchMean" });
    loss.backward();
    onStep?.();
    optimizer.step();
    losses.push(loss.item());
  }
  return losses;
}

describe("the seed's plateau on synthetic data (10 classes, 200 samples, 20 features)", () => {
  it("has every class present, so the baseline is finite (≈ 3.2 here)", () => {
    expect(frequencies.every((p) => p > 0)).toBe(true);
    expect(baseline).toBeGreaterThan(3);
    expect(baseline).toBeLessThan(10 * Math.LN2);
  });

  it("reference: weights stay exactly 0, output biases → logit(p_k), loss → baseline", () => {
    const { params, costs, dwAllZero } = reference();
    expect(dwAllZero.every(Boolean)).toBe(true);
    expect(costs[0]).toBeCloseTo(10 * Math.LN2, 12);
    for (const { w } of params) expect(allZero(w.flat())).toBe(true);
    for (const { b } of params.slice(0, -1)) expect(allZero(b)).toBe(true); // hidden biases too
    params[params.length - 1].b.forEach((b, k) => expect(b).toBeCloseTo(logit(frequencies[k]), 6));
    expect(Math.abs(costs[STEPS - 1] - baseline)).toBeLessThan(1e-3);
    expect(costs[STEPS - 1]).toBeGreaterThanOrEqual(baseline - 1e-12); // the floor, not beyond
  });

  it.each(["float64", "float32"] as const)(
    "tapegrad (%s): same plateau, weights and their gradients exactly 0 at every step",
    (dtype) => {
      const layers = buildModel(dtype, "zeros");
      const weights = layers.map((l) => l.weight);
      const losses = trainTapegrad(layers, dtype, () => {
        for (const w of weights) expect(allZero(w.grad?.data ?? [1])).toBe(true);
      });
      expect(losses[0]).toBeCloseTo(10 * Math.LN2, dtype === "float64" ? 12 : 5);
      for (const w of weights) expect(allZero(w.data)).toBe(true);
      for (const l of layers.slice(0, -1)) expect(allZero(l.bias?.data ?? [1])).toBe(true);
      const output = layers[layers.length - 1].bias?.data ?? [];
      const digits = dtype === "float64" ? 6 : 4;
      frequencies.forEach((p, k) => expect(output[k]).toBeCloseTo(logit(p), digits));
      expect(Math.abs(losses[STEPS - 1] - baseline)).toBeLessThan(1e-3);
    },
  );

  it("tapegrad and the reference follow the same trajectory (float64)", () => {
    const { params, costs } = reference();
    const layers = buildModel("float64", "zeros");
    const losses = trainTapegrad(layers, "float64");
    losses.forEach((l, i) => expect(Math.abs(l - costs[i])).toBeLessThan(1e-12));
    const output = layers[layers.length - 1].bias?.data ?? [];
    params[params.length - 1].b.forEach((b, k) => {
      expect(Math.abs(output[k] - b)).toBeLessThan(1e-12);
    });
  });

  it("the fix: a random (He) initialisation breaks symmetry, going well below the baseline", () => {
    const losses = trainTapegrad(buildModel("float64", "heNormal"), "float64");
    expect(losses[0]).not.toBeCloseTo(10 * Math.LN2, 2);
    expect(losses[STEPS - 1]).toBeLessThan(baseline - 1);
  });
});
