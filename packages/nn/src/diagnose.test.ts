// diagnose(): detectors 1–4 (baseline, init, weight-grad-zero, dead units), formatting, API.
import { type Tensor, Rng, noGrad, oneHot, randn, tensor } from "@tapegrad/core";
import { describe, expect, test } from "vitest";
import { Dense } from "./dense.js";
import { fromSpec } from "./index.js"; // the package entry: every layer class registered
import { baselineLoss, diagnose, formatFindings, type Finding } from "./diagnose.js";
import { Sequential } from "./sequential.js";
import { find, mlp } from "../test/diagnose-fixtures.js";

/** Gaussian inputs [n, d] and one-hot labels from a fixed random linear rule. */
function data(
  n: number, d: number, k: number, seed = 7,
): { x: Tensor; y: Tensor; labels: number[] } {
  const x = randn([n, d], { seed, dtype: "float32" });
  const r = new Rng(seed + 1);
  const rule = Array.from({ length: d * k }, () => r.normal());
  const labels = Array.from({ length: n }, (_, i) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x.data[i * d + j] * rule[j * k + c];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    return best;
  });
  return { x, y: oneHot(labels, k), labels };
}

const codes = (fs: Finding[]): string[] => fs.map((f) => `${f.code}@${f.layer ?? ""}`);

/** Zero weights, output biases set to logit(p_k): the seed's end state, without training. */
function seedPlateau(y: Tensor): Sequential {
  const model = mlp([6, 8, 5, 4], "zeros");
  const k = y.shape[1];
  const p = Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let i = 0; i < y.shape[0]; i++) s += y.data[i * k + j];
    return s / y.shape[0];
  });
  const last = model.layers[2] as Dense;
  noGrad(() => p.forEach((pk, j) => { last.bias!.data[j] = Math.log(pk / (1 - pk)); }));
  return model;
}

describe("baselineLoss", () => {
  test("BCE: −Σ[p ln p + (1−p) ln(1−p)]; CE: label entropy; MSE: summed variance", () => {
    const y = oneHot([0, 0, 1, 1], 2);
    expect(baselineLoss(y, { loss: "bce" })).toBeCloseTo(2 * Math.log(2), 12);
    expect(baselineLoss(y, { loss: "bce", reduction: "mean" })).toBeCloseTo(Math.log(2), 12);
    expect(baselineLoss(y, { loss: "crossEntropy" })).toBeCloseTo(Math.log(2), 12);
    expect(baselineLoss(tensor([0, 0, 0, 1]), { loss: "crossEntropy" }))
      .toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 12);
    expect(baselineLoss(tensor([[1], [3]]), { loss: "mse" })).toBeCloseTo(1, 12);
    // Ten balanced classes: 10·H(0.1) = 3.2508…
    const ten = oneHot(Array.from({ length: 100 }, (_, i) => i % 10), 10);
    const h = -(0.1 * Math.log(0.1) + 0.9 * Math.log(0.9));
    expect(baselineLoss(ten, { loss: "bce" })).toBeCloseTo(10 * h, 10);
  });
});

describe("detector 1: loss at the constant-predictor baseline, constant outputs", () => {
  test("triggers on a model that outputs the label frequencies for every sample", () => {
    const { x, y } = data(40, 6, 4);
    const findings = diagnose(seedPlateau(y), { x, y });
    const atBaseline = find(findings, "loss-at-baseline");
    expect(atBaseline?.severity).toBe("error");
    expect(atBaseline?.value).toBeCloseTo(baselineLoss(y, { loss: "bce" }), 5);
    expect(atBaseline?.message).toMatch(/constant-predictor baseline/);
    const constant = find(findings, "constant-output", "layers.2");
    expect(constant?.value).toBe(0);
    expect(constant?.message).toMatch(/every one of the 40 samples gets the same output/);
  });

  test("softmax cross-entropy compares with the label entropy", () => {
    const { x, y, labels } = data(30, 6, 3);
    const model = mlp([6, 5, 3], "zeros", "relu", "softmax");
    const p = [0, 1, 2].map((c) => labels.filter((l) => l === c).length / labels.length);
    const bias = (model.layers[1] as Dense).bias!;
    noGrad(() => p.forEach((pk, j) => { bias.data[j] = Math.log(pk); }));
    const finding = find(diagnose(model, { x, y: tensor(labels) }), "loss-at-baseline");
    expect(finding?.value).toBeCloseTo(-p.reduce((s, pk) => s + pk * Math.log(pk), 0), 5);
  });

  test("does not trigger on a He-initialised model", () => {
    const { x, y } = data(40, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "heNormal"), { x, y });
    expect(find(findings, "loss-at-baseline")).toBeUndefined();
    expect(find(findings, "constant-output")).toBeUndefined();
  });
});

describe("detector 2: zero or symmetric initialisation", () => {
  test("all-zero weights are reported per layer", () => {
    const { x, y } = data(20, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "zeros"), { x, y });
    expect(codes(findings.filter((f) => f.code === "zero-weights")))
      .toEqual(["zero-weights@layers.0", "zero-weights@layers.1", "zero-weights@layers.2"]);
    expect(find(findings, "zero-weights", "layers.0")?.message).toMatch(/Dense 6→8/);
  });

  test("a constant initialisation makes every hidden unit identical", () => {
    const { x, y } = data(20, 6, 4);
    const model = new Sequential([
      new Dense({
        inputSize: 6, outputSize: 8, activation: "tanh", init: "constant",
        initOptions: { value: 0.1 },
      }),
      new Dense({
        inputSize: 8, outputSize: 4, activation: "sigmoid", init: "constant",
        initOptions: { value: 0.2 },
      }),
    ]);
    const finding = find(diagnose(model, { x, y }), "symmetric-units", "layers.0");
    expect(finding?.severity).toBe("error");
    expect(finding?.value).toBe(1);
    expect(find(diagnose(model, { x, y }), "symmetric-units", "layers.1")).toBeUndefined();
  });

  test("two copied units out of 8 give a warning with fraction 0.25", () => {
    const { x, y } = data(20, 6, 4);
    const model = mlp([6, 8, 4], "heNormal");
    const [first, second] = model.layers as Dense[];
    noGrad(() => {
      for (let i = 0; i < 6; i++) first.weight.data[i * 8 + 1] = first.weight.data[i * 8];
      for (let c = 0; c < 4; c++) second.weight.data[4 + c] = second.weight.data[c];
    });
    const finding = find(diagnose(model, { x, y }), "symmetric-units", "layers.0");
    expect(finding?.severity).toBe("warning");
    expect(finding?.value).toBe(0.25);
  });

  test("random initialisation is not reported", () => {
    const { x, y } = data(20, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "glorotUniform"), { x, y });
    expect(find(findings, "zero-weights")).toBeUndefined();
    expect(find(findings, "symmetric-units")).toBeUndefined();
  });

  test("a zero-initialised convolution is reported too; batch norm's unit scale is not", () => {
    const spec = (init: "zeros" | "heNormal") => fromSpec({ input: [1, 6, 6], seed: 3, layers: [
      { type: "conv2d", outChannels: 4, kernelSize: 3, activation: "relu", init },
      { type: "batchNorm2d" }, { type: "flatten" },
      { type: "dense", units: 3, activation: "softmax" }] });
    const x = randn([12, 1, 6, 6], { seed: 2 });
    const y = tensor(Array.from({ length: 12 }, (_, i) => i % 3));
    const zero = find(diagnose(spec("zeros"), { x, y }), "zero-weights", "layers.0");
    expect(zero?.message).toBe("every weight of layers.0 (Conv2d) is exactly 0 (largest |w| = 0)");
    expect(find(diagnose(spec("heNormal"), { x, y }), "zero-weights")).toBeUndefined();
  });
});

describe("detector 3: weight gradients exactly zero while bias gradients are not", () => {
  test("the zero-initialised network: only the output biases get a gradient", () => {
    const { x, y } = data(20, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "zeros"), { x, y });
    const hits = findings.filter((f) => f.code === "weight-grad-zero");
    expect(codes(hits)).toEqual(["weight-grad-zero@layers.2"]);
    expect(hits[0].cause).toMatch(/input activations are all exactly 0/);
    // The layers before it get no gradient at all.
    expect(find(findings, "vanishing-gradient", "layers.0")?.value).toBe(0);
    expect(find(findings, "vanishing-gradient", "layers.1")?.value).toBe(0);
  });

  test("a He-initialised network has nonzero weight gradients everywhere", () => {
    const { x, y } = data(20, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "heNormal"), { x, y });
    expect(find(findings, "weight-grad-zero")).toBeUndefined();
    expect(find(findings, "vanishing-gradient")).toBeUndefined();
  });
});

describe("detector 4: dead ReLU units", () => {
  function withBias(model: Sequential, units: number[], value: number): Sequential {
    const first = model.layers[0] as Dense;
    noGrad(() => units.forEach((j) => { first.bias!.data[j] = value; }));
    return model;
  }

  test("every unit pushed below zero: fraction 1, an error", () => {
    const { x, y } = data(30, 6, 4);
    const model = withBias(mlp([6, 8, 4], "heNormal", "relu"), [0, 1, 2, 3, 4, 5, 6, 7], -100);
    const finding = find(diagnose(model, { x, y }), "dead-units", "layers.0");
    expect(finding?.severity).toBe("error");
    expect(finding?.value).toBe(1);
    expect(finding?.message).toMatch(/8 of 8 relu units/);
  });

  test("half the units dead: fraction 0.5, a warning", () => {
    const { x, y } = data(30, 6, 4);
    const model = withBias(mlp([6, 8, 4], "heNormal", "relu"), [1, 3, 5, 7], -100);
    const finding = find(diagnose(model, { x, y }), "dead-units", "layers.0");
    expect(finding?.severity).toBe("warning");
    expect(finding?.value).toBe(0.5);
  });

  test("units dead through negative biases: the cause names the biases", () => {
    const { x, y } = data(30, 6, 4);
    const model = withBias(mlp([6, 8, 4], "heNormal", "relu"), [1, 3, 5, 7], -100);
    const finding = find(diagnose(model, { x, y }), "dead-units", "layers.0");
    expect(finding?.cause)
      .toMatch(/^4 of these 4 units would be active on some sample without their negative /);
    expect(finding?.cause).toMatch(/biases \(as low as -100\): large negative biases/);
  });

  test("dead at initialisation on inputs all ≥ 0: the cause says so, not the biases", () => {
    // Identical positive rows: a unit's sign is its weights' sum, the same for every sample.
    const x = tensor(Array.from({ length: 16 }, () => [1, 1, 1, 1, 1, 1]));
    const y = oneHot([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 4);
    const model = mlp([6, 12, 4], "heNormal", "relu");
    const pre = (model.layers[0] as Dense).linear(x);
    let expected = 0;
    for (let j = 0; j < 12; j++) if (pre.data[j] <= 0) expected++;
    expect(expected).toBeGreaterThan(1); // the seed gives a case worth testing
    const finding = find(diagnose(model, { x, y }), "dead-units", "layers.0");
    expect(finding?.message).toMatch(new RegExp(`^${expected} of 12 relu units`));
    expect(finding?.cause).toMatch(/inputs are all ≥ 0/);
    expect(finding?.cause).not.toMatch(/bias/);
    // After a first optimizer step the biases are small and some negative: still not the cause.
    noGrad(() => (model.layers[0] as Dense).bias!.data.fill(-1e-3));
    const again = find(diagnose(model, { x, y }), "dead-units", "layers.0");
    expect(again?.message).toMatch(new RegExp(`^${expected} of 12 relu units`));
    expect(again?.cause).toMatch(/inputs are all ≥ 0/);
  });

  test("on [batch, channels, h, w] activations a unit is a channel", () => {
    // Channel 1 is negative everywhere; channels 0 and 2 have positive values in every column,
    // so counting columns of the last axis (as for [batch, features]) would find nothing.
    const rng = new Rng(5);
    const x = tensor(Array.from({ length: 4 }, () => [0, 1, 2].map((c) =>
      [[0, 1], [2, 3]].map((row) => row.map(() => (c === 1 ? -1 : 1) * rng.uniform(0.5, 1.5))))));
    const model = fromSpec({
      input: [3, 2, 2], seed: 1,
      layers: [{ type: "activation", activation: "relu" }, { type: "flatten" },
        { type: "dense", units: 2, activation: "softmax" }],
    });
    const finding = find(diagnose(model, { x, y: oneHot([0, 1, 0, 1], 2) }), "dead-units");
    expect(finding?.layer).toBe("layers.0");
    expect(finding?.message)
      .toMatch(/^1 of 3 relu channels of layers.0 \(33\.3%\) are never active/);
  });

  test("a healthy He-initialised ReLU network has no dead units", () => {
    const { x, y } = data(30, 6, 4);
    const findings = diagnose(mlp([6, 8, 4], "heNormal", "relu"), { x, y });
    expect(find(findings, "dead-units")).toBeUndefined();
  });
});

describe("diagnose API", () => {
  test("leaves parameters and their .grad untouched", () => {
    const { x, y } = data(20, 6, 4);
    const model = mlp([6, 8, 4], "heNormal");
    const params = model.parameters();
    const before = params.map((p) => Array.from(p.data));
    const marker = tensor(Array.from({ length: params[0].size }, (_, i) => i))
      .reshape(params[0].shape); // .grad takes only its tensor's shape and dtype
    params[0].grad = marker;
    diagnose(model, { x, y }, { learningRate: 0.1 });
    expect(params[0].grad).toBe(marker);
    expect(params.slice(1).every((p) => p.grad === null)).toBe(true);
    expect(params.map((p) => Array.from(p.data))).toEqual(before);
  });

  test("errors come first; a wrong input width is a shape error", () => {
    const { x, y } = data(20, 6, 4);
    const findings = diagnose(mlp([6, 8, 5, 4], "zeros"), { x, y });
    const ranks = findings.map((f) => ({ error: 0, warning: 1, info: 2 })[f.severity]);
    expect(ranks).toEqual([...ranks].sort());
    expect(() => diagnose(mlp([5, 4], "zeros"), { x, y })).toThrow(/\[batch, 5\]; got \[20, 6\]/);
  });

  test("[batch] class labels give the findings of their one-hot rows (as fit takes them)", () => {
    const { x, y, labels } = data(20, 6, 4);
    const model = mlp([6, 8, 5, 4], "zeros");
    const values = (fs: Finding[]) => fs.map((f) => [f.code, f.layer, f.value]);
    const fromLabels = diagnose(model, { x, y: tensor(labels) });
    expect(values(fromLabels)).toEqual(values(diagnose(model, { x, y })));
    expect(find(fromLabels, "constant-output")).toBeDefined();
    // One output: a value per sample is the [batch, 1] column.
    const one = mlp([6, 8, 1], "heNormal", "relu", "identity");
    const targets = Array.from({ length: 20 }, (_, i) => i / 10);
    expect(values(diagnose(one, { x, y: tensor(targets) })))
      .toEqual(values(diagnose(one, { x, y: tensor(targets.map((t) => [t])) })));
  });

  test("a batch it cannot use is refused naming the part and the numbers", () => {
    const { x, y, labels } = data(20, 6, 4);
    const model = mlp([6, 8, 4], "heNormal");
    const bad = (batch: unknown, options?: unknown) =>
      () => diagnose(model, batch as { x: Tensor; y: Tensor }, options as object);
    expect(bad({ x: [[1, 2]], y })).toThrow(
      "diagnose: batch.x must be a Tensor; got an array (wrap it with tensor())");
    expect(bad({ x, y: labels })).toThrow(
      "diagnose: batch.y must be a Tensor; got an array (wrap it with tensor())");
    expect(bad({ inputs: x, y })).toThrow("diagnose: batch must be { x, y } (tensors)");
    expect(bad({ x, y: tensor(labels.slice(0, 5)) }))
      .toThrow("diagnose: batch.y has 5 rows for the 20 samples of batch.x");
    expect(bad({ x, y: tensor([...labels.slice(0, 19), 7]) }))
      .toThrow("diagnose: batch.y[19] is 7; class labels must be integers in [0, 4)");
    expect(bad({ x, y }, { learningrate: 0.1 }))
      .toThrow('diagnose: unknown option "learningrate"; did you mean "learningRate"?');
  });

  test("formatFindings prints severity, code, layer, value, cause and fix", () => {
    const { x, y } = data(20, 6, 4);
    const text = formatFindings(diagnose(mlp([6, 8, 5, 4], "zeros"), { x, y }));
    expect(text).toMatch(/^ERROR zero-weights \[layers\.0\] value 0$/m);
    expect(text).toMatch(/^ {2}cause: zero initialisation/m);
    expect(text).toMatch(/^ {2}fix: initialise weights randomly/m);
    expect(text.split("\n").every((line) => line.length <= 100)).toBe(true);
    expect(formatFindings([])).toBe("no problems found");
  });
});
