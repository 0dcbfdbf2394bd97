// diagnose(): detectors 5–8 (saturation, gradient scale, inputs, NaN/Inf with the first op).
import { type Tensor, Rng, mul, noGrad, oneHot, randn } from "@tapegrad/core";
import { describe, expect, test } from "vitest";
import { Dense } from "./dense.js";
import { diagnose } from "./diagnose.js";
import { Sequential } from "./sequential.js";
import { find, mlp } from "../test/diagnose-fixtures.js";

/** Gaussian inputs [n, d] and random one-hot labels. */
function data(n: number, d: number, k: number, seed = 3): { x: Tensor; y: Tensor } {
  const r = new Rng(seed + 1);
  const labels = Array.from({ length: n }, () => Math.floor(r.uniform(0, k)));
  return { x: randn([n, d], { seed }), y: oneHot(labels, k) };
}

function scaleWeights(model: Sequential, factor: number): Sequential {
  noGrad(() => {
    for (const layer of model.layers as Dense[]) {
      for (let i = 0; i < layer.weight.size; i++) layer.weight.data[i] *= factor;
    }
  });
  return model;
}


describe("detector 5: saturated sigmoid/tanh units", () => {
  test("tanh hidden units driven to ±1 by weights 100× too large", () => {
    const { x, y } = data(30, 8, 3);
    const model = scaleWeights(mlp([8, 16, 3], "glorotUniform", "tanh"), 100);
    const finding = find(diagnose(model, { x, y }), "saturated-units", "layers.0");
    expect(finding?.severity).toBe("warning");
    expect(finding?.value).toBeGreaterThan(0.8);
    expect(finding?.message).toMatch(/of the tanh outputs are within 0.001 of their bounds/);
  });

  test("sigmoid outputs saturated at the wrong bound", () => {
    const { x, y } = data(30, 8, 3);
    const model = mlp([8, 16, 3], "glorotUniform", "tanh");
    noGrad(() => (model.layers[1] as Dense).bias!.data.fill(50));
    const finding = find(diagnose(model, { x, y }), "saturated-units", "layers.1");
    // Every output is ≈ 1, so exactly the zeros of the one-hot targets are wrong: 2/3.
    expect(finding?.value).toBeCloseTo(2 / 3, 10);
  });

  test("a Glorot-initialised tanh network is not saturated", () => {
    const { x, y } = data(30, 8, 3);
    const findings = diagnose(mlp([8, 16, 3], "glorotUniform", "tanh"), { x, y });
    expect(find(findings, "saturated-units")).toBeUndefined();
  });
});

describe("detector 6: vanishing/exploding gradients, update/weight ratio", () => {
  test("tiny weights in a deep tanh network: the first layer's gradient vanishes", () => {
    const { x, y } = data(30, 8, 3);
    const model = scaleWeights(mlp([8, 8, 8, 8, 8, 3], "glorotUniform", "tanh"), 0.01);
    const finding = find(diagnose(model, { x, y }), "vanishing-gradient", "layers.0");
    expect(finding?.severity).toBe("warning");
    expect(finding?.value).toBeGreaterThan(0);
    expect(finding?.message).toMatch(/of the largest layer's/);
  });

  test("huge inputs make the first layer's gradient explode", () => {
    const { x, y } = data(30, 8, 3);
    const model = mlp([8, 16, 3], "heNormal");
    const finding = find(diagnose(model, { x: mul(x, 1e4), y }), "exploding-gradient", "layers.0");
    expect(finding?.severity).toBe("error");
    expect(finding?.value).toBeGreaterThan(1e3);
  });

  test("the update/weight ratio flags learning rates far too large or too small", () => {
    const { x, y } = data(30, 8, 3);
    const model = mlp([8, 16, 3], "heNormal");
    const big = find(diagnose(model, { x, y }, { learningRate: 1e3 }), "update-ratio", "layers.0");
    expect(big?.value).toBeGreaterThan(0.3);
    expect(big?.cause).toMatch(/too large/);
    const small = find(diagnose(model, { x, y }, { learningRate: 1e-9 }), "update-ratio");
    expect(small?.value).toBeLessThan(1e-6);
    expect(small?.cause).toMatch(/too small/);
  });

  test("a He-initialised network with lr 0.05 is in range", () => {
    const { x, y } = data(30, 8, 3);
    const findings = diagnose(mlp([8, 16, 8, 3], "heNormal"), { x, y }, { learningRate: 0.05 });
    for (const code of ["vanishing-gradient", "exploding-gradient", "update-ratio"]) {
      expect(find(findings, code)).toBeUndefined();
    }
  });
});

describe("detector 7: unnormalised and constant inputs", () => {
  function pixels(n: number, d: number, seed = 5): Tensor {
    const x = randn([n, d], { seed });
    const pixel = (v: number): number => Math.min(255, Math.max(0, Math.round(127.5 + 60 * v)));
    noGrad(() => x.data.forEach((v, i) => { x.data[i] = pixel(v); }));
    return x;
  }

  test("raw 0–255 pixels are reported with their range and the /255 fix", () => {
    const { y } = data(30, 8, 3);
    const finding = find(diagnose(mlp([8, 4, 3], "heNormal"), { x: pixels(30, 8), y }),
      "unnormalised-input");
    expect(finding?.value).toBeGreaterThan(200);
    expect(finding?.fix).toMatch(/divide pixel values by 255/);
  });

  test("constant features are counted; all constant is an error", () => {
    const { x, y } = data(30, 8, 3);
    noGrad(() => { for (let i = 0; i < 30; i++) x.data[i * 8 + 2] = x.data[i * 8 + 5] = 0; });
    const some = find(diagnose(mlp([8, 4, 3], "heNormal"), { x, y }), "constant-features");
    expect(some?.severity).toBe("info");
    expect(some?.value).toBe(2);
    noGrad(() => x.data.fill(0.5));
    const all = find(diagnose(mlp([8, 4, 3], "heNormal"), { x, y }), "constant-features");
    expect(all?.severity).toBe("error");
    expect(all?.value).toBe(8);
  });

  test("the range is that of the finite values: NaN/Inf are the non-finite finding's", () => {
    const { x, y } = data(30, 8, 3);
    noGrad(() => { x.data[3] = Infinity; x.data[9] = Number.NaN; });
    const some = diagnose(mlp([8, 4, 3], "heNormal"), { x, y });
    expect(find(some, "non-finite")).toBeDefined();
    expect(find(some, "unnormalised-input")).toBeUndefined();
    noGrad(() => x.data.fill(Number.NaN));
    expect(find(diagnose(mlp([8, 4, 3], "heNormal"), { x, y }), "unnormalised-input"))
      .toBeUndefined();
  });

  test("standard normal inputs are not reported", () => {
    const { x, y } = data(30, 8, 3);
    const findings = diagnose(mlp([8, 4, 3], "heNormal"), { x, y });
    expect(find(findings, "unnormalised-input")).toBeUndefined();
    expect(find(findings, "constant-features")).toBeUndefined();
  });
});

describe("detector 8: NaN/Inf with the first op that produced it", () => {
  test("an overflowing matmul is named, with its layer", () => {
    const { x, y } = data(10, 8, 3);
    const model = mlp([8, 4, 3], "heNormal");
    // Positive inputs times weights of 3e38: each sum passes float32's maximum, 3.4e38.
    noGrad(() => {
      (model.layers[0] as Dense).weight.data.fill(3e38);
      x.data.forEach((v, i) => { x.data[i] = 1 + Math.abs(v); });
    });
    const findings = diagnose(model, { x, y });
    const finding = find(findings, "non-finite");
    expect(finding?.layer).toBe("layers.0");
    expect(finding?.message).toMatch(/first NaN\/Inf comes from op "matmul" in the forward pass/);
    expect(findings[0]).toBe(finding);
  });

  test("NaN already in the batch or in a parameter is reported where it is", () => {
    const { x, y } = data(10, 8, 3);
    const model = mlp([8, 4, 3], "heNormal");
    noGrad(() => { x.data[3] = Number.NaN; });
    expect(find(diagnose(model, { x, y }), "non-finite", "input")?.value).toBe(1);
    const clean = data(10, 8, 3);
    noGrad(() => { (model.layers[1] as Dense).weight.data[0] = Infinity; });
    const finding = find(diagnose(model, clean), "non-finite", "layers.1");
    expect(finding?.message).toMatch(/parameter layers\.1\.weight holds 1 NaN\/Inf/);
  });

  test("a healthy model has no non-finite finding", () => {
    const { x, y } = data(10, 8, 3);
    expect(find(diagnose(mlp([8, 4, 3], "heNormal"), { x, y }), "non-finite")).toBeUndefined();
  });
});
