// Specs with convolution, pooling, normalization, dropout and embedding layers: the classes
// built, shapes inferred before building (and equal to what the layers compute), errors that
// name the layer, limits, and the dropout generator.
import { Rng, type Tensor, randn, tensor } from "@tapegrad/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchNorm2d } from "./batch-norm.js";
import { Conv2d } from "./conv2d.js";
import { Dense } from "./dense.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { Flatten } from "./flatten.js";
import { registerLayers, registeredLayer, unregisterLayer } from "./layer-registry.js";
import { LayerNorm } from "./layer-norm.js";
import { MaxPool2d } from "./max-pool2d.js";
import type { Module } from "./module.js";
import { fromSpec, parseSpec } from "./spec.js";
import { SpecError } from "./spec-problems.js";
import { SPEC_LAYERS } from "./spec-layers.js";
import type { LayerSpec, ModelSpec } from "./spec-schema.js";

// What @tapegrad/nn's main entry does by loading every layer module (this file imports
// spec.js directly, and classes used only as types would not load).
registerLayers(...SPEC_LAYERS);

const cnn: ModelSpec = {
  input: [1, 12, 12], seed: 3,
  layers: [
    { type: "conv2d", outChannels: 4, kernelSize: 3, padding: 1, activation: "relu" },
    { type: "batchNorm2d" },
    { type: "maxPool2d", kernelSize: 2 },
    { type: "conv2d", outChannels: 6, kernelSize: [3, 2], groups: 2, bias: false },
    { type: "avgPool2d", kernelSize: 2, padding: 1, countIncludePad: false },
    { type: "flatten" },
    { type: "dropout", p: 0.3 },
    { type: "dense", units: 10, activation: "softmax" },
  ],
};

const problemOf = (json: unknown): string => {
  try {
    parseSpec(json);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    const { problems } = err as SpecError;
    expect(problems).toHaveLength(1);
    return problems[0].message;
  }
  throw new Error("expected a SpecError");
};

describe("fromSpec with CNN layers", () => {
  it("builds each layer type with its input channels inferred", () => {
    const model = fromSpec(cnn);
    expect(model.layers.map((l) => l.constructor.name)).toEqual([
      "Conv2d", "BatchNorm2d", "MaxPool2d", "Conv2d", "AvgPool2d", "Flatten", "Dropout", "Dense",
    ]);
    const conv = model.layers[3] as Conv2d;
    expect([conv.inChannels, conv.outChannels, conv.groups, conv.bias]).toEqual([4, 6, 2, null]);
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    expect((model.layers[7] as Dense).inputSize).toBe(6 * 3 * 3);
    expect(model.inputShape).toEqual([1, 12, 12]);
    expect([model.inputSize, model.outputSize, model.outputShape]).toEqual([144, 10, [10]]);
    // 3×3 kernel, padding 1; pool 2; a 3×2 kernel unpadded (6 − 2, 6 − 1); pool 2 padded 1.
    expect(model.layerShapes()).toEqual([
      [4, 12, 12], [4, 12, 12], [4, 6, 6], [6, 4, 5], [6, 3, 3], [54], [54], [10],
    ]);
    expect(model.namedBuffers().map(([n]) => n)).toEqual([
      "layers.1.runningMean", "layers.1.runningVar", "layers.1.numBatchesTracked",
    ]);
    const y = model.eval().forward(randn([2, 1, 12, 12], { seed: 1 }));
    expect(y.shape).toEqual([2, 10]);
    expect(model.outputActivation).toBe("softmax");
  });

  it("round-trips through toSpec, weights and all", () => {
    const a = fromSpec(cnn);
    const b = fromSpec(JSON.parse(JSON.stringify(a.toSpec())));
    expect(b.toSpec()).toEqual(cnn);
    const weights = (m: Module) => m.parameters().map((p) => Array.from(p.data));
    expect(weights(b)).toEqual(weights(a));
  });

  it("adding dropout changes no initial weight; the model's generator draws the masks", () => {
    const withoutDropout = { ...cnn, layers: cnn.layers.filter((l) => l.type !== "dropout") };
    const weights = (m: Module) => m.parameters().map((p) => Array.from(p.data));
    expect(weights(fromSpec(cnn))).toEqual(weights(fromSpec(withoutDropout)));
    const model = fromSpec(cnn);
    const dropout = model.layers[6] as Dropout;
    expect(dropout.rng).toBe(model.dropoutRng);
    const state = model.dropoutRng.getState();
    model.train().forward(randn([2, 1, 12, 12], { seed: 2 }));
    expect(model.dropoutRng.getState()).not.toEqual(state);
    // Same seed: the same generator, so the same masks.
    expect(fromSpec(cnn).dropoutRng.getState()).toEqual(state);
    expect(fromSpec({ ...cnn, seed: 4 }).dropoutRng.getState()).not.toEqual(state);
  });

  it("builds batchNorm1d, layerNorm and embedding for sequences", () => {
    const model = fromSpec({
      input: [5], seed: 1,
      layers: [
        { type: "embedding", numEmbeddings: 20, embeddingDim: 8 },
        { type: "layerNorm" },
        { type: "flatten" },
        { type: "batchNorm1d", momentum: null },
        { type: "dense", units: 3 },
      ],
    });
    expect(model.layerShapes()).toEqual([[5, 8], [5, 8], [40], [40], [3]]);
    expect((model.layers[0] as Embedding).weight.shape).toEqual([20, 8]);
    expect((model.layers[1] as LayerNorm).normalizedShape).toEqual([8]);
    const y = model.forward(tensor([[1, 2, 3, 4, 5], [0, 19, 0, 19, 7]]));
    expect(y.shape).toEqual([2, 3]);
    expect(model.parameters().map((p) => p.shape)).toEqual([
      [20, 8], [8], [8], [40], [40], [40, 3], [3],
    ]);
  });

  it("names the layer that cannot take its input", () => {
    const spec = (layers: unknown[], input: unknown = [1, 28, 28]) => ({ input, layers });
    const conv = (fields: object) =>
      ({ type: "conv2d", outChannels: 16, kernelSize: 5, ...fields });
    expect(problemOf(spec([conv({}), { type: "maxPool2d", kernelSize: 2 },
      conv({ inChannels: 32, outChannels: 8 })])))
      .toBe("layers[2]: conv2d expects 32 input channels; the previous layer gives 16");
    expect(problemOf(spec([conv({ inChannels: 3 })])))
      .toBe("layers[0]: conv2d expects 3 input channels; the input gives 1");
    expect(problemOf(spec([conv({})], 784)))
      .toBe("layers[0]: conv2d needs [channels, height, width] input; the input gives [784]");
    expect(problemOf(spec([{ type: "flatten" }, { type: "maxPool2d", kernelSize: 2 }])))
      .toBe("layers[1]: maxPool2d needs [channels, height, width] input; the previous layer " +
        "gives [784]");
    expect(problemOf(spec([conv({ kernelSize: 29 })])))
      .toBe("layers[0]: conv2d gives an empty output: the input [1, 28, 28] is smaller than " +
        "the (dilated) kernel [29, 29] with its padding");
    expect(problemOf(spec([conv({ groups: 3 })], [6, 8, 8])))
      .toBe("layers[0]: conv2d groups 3 must divide the input channels 6 and outChannels 16");
    expect(problemOf(spec([conv({ padding: "same", stride: 2 })])))
      .toBe('layers[0]: conv2d padding "same" needs stride 1 (as in PyTorch)');
    expect(problemOf(spec([{ type: "avgPool2d", kernelSize: 2, padding: 2 }])))
      .toBe("layers[0]: avgPool2d padding [2, 2] must be at most half the kernel size [2, 2]");
    expect(problemOf(spec([{ type: "batchNorm2d", numFeatures: 3 }])))
      .toBe("layers[0]: batchNorm2d expects 3 input channels; the input gives 1");
    expect(problemOf(spec([{ type: "batchNorm1d" }])))
      .toBe("layers[0]: batchNorm1d needs [features] or [channels, length] input; the input " +
        "gives [1, 28, 28]");
    expect(problemOf(spec([{ type: "layerNorm", normalizedShape: [28, 1] }])))
      .toBe("layers[0]: layerNorm normalizedShape [28, 1] must be the last dimensions of the " +
        "input [1, 28, 28]");
    expect(problemOf(spec([{ type: "flatten", startDim: 4 }])))
      .toBe("layers[0]: flatten startDim 4 and endDim -1 must be axes of the input [batch, 1, " +
        "28, 28]");
    expect(problemOf(spec([{ type: "flatten", startDim: 3, endDim: 2 }])))
      .toBe("layers[0]: flatten startDim 3 comes after endDim 2");
    expect(problemOf(spec([{ type: "conv1d", outChannels: 2, kernelSize: 3 }])))
      .toBe("layers[0]: conv1d needs [channels, length] input; the input gives [1, 28, 28]");
  });

  it("counts parameters of every layer type against the limit, naming the layer", () => {
    const big = { input: [3, 32, 32], layers: [
      { type: "conv2d", outChannels: 64, kernelSize: 3 },
      { type: "conv2d", outChannels: 64, kernelSize: 3 },
    ] };
    expect(() => parseSpec(big, { maxParameters: 30_000 })).toThrow(
      "layers[1].outChannels makes the model too large: 38720 parameters with it, over the " +
        "limit of 30000 (raise the maxParameters option); got 64");
    const table = { input: [4], layers: [{ type: "embedding", numEmbeddings: 1000,
      embeddingDim: 64 }] };
    expect(() => parseSpec(table, { maxParameters: 1000 }))
      .toThrow("layers[0].numEmbeddings makes the model too large: 64000 parameters");
    const norm = { input: [100], layers: [{ type: "layerNorm" }] };
    expect(() => parseSpec(norm, { maxParameters: 100 }))
      .toThrow("layers[0] makes the model too large: 200 parameters with it, over the limit " +
        "of 100 (raise the maxParameters option); got a layerNorm layer");
  });

  it("names layer classes a bundle left out, and checks and builds them when given", () => {
    const missing = registeredLayer("maxPool2d");
    const accepted = parseSpec(cnn);
    unregisterLayer("maxPool2d");
    const named = "layers[2] is a maxPool2d layer, whose class this program does not include: " +
      "a bundler leaves out layer classes nothing names. Name them, e.g. fromSpec(spec, " +
      "{ layers: [Conv2d, MaxPool2d] }) (parseSpec takes the same option) with the classes " +
      "imported from @tapegrad/nn";
    try {
      // Validation names it: its schema and shape rule come with the class.
      expect(() => parseSpec(structuredClone(cnn))).toThrow(
        `parseSpec: invalid model spec (1 problem):\n  ${named}`);
      expect(() => fromSpec(structuredClone(cnn))).toThrow(
        `fromSpec: invalid model spec (1 problem):\n  ${named}`);
      // A spec accepted while the class was there: its shapes, then its build, name it.
      expect(() => parseSpec(accepted, { maxParameters: 10 ** 6 })).toThrow(
        `parseSpec: invalid model spec (1 problem):\n  ${named}`);
      expect(() => fromSpec(accepted)).toThrow(`fromSpec: ${named}`);
      expect(parseSpec(structuredClone(cnn), { layers: [MaxPool2d] }).layers[2].type)
        .toBe("maxPool2d");
      unregisterLayer("maxPool2d");
      expect(fromSpec(structuredClone(cnn), { layers: [MaxPool2d] }).layers[2])
        .toBeInstanceOf(MaxPool2d);
    } finally {
      if (missing) unregisterLayer("maxPool2d", missing);
    }
    expect(registeredLayer("maxPool2d")).toBe(MaxPool2d);
    expect(() => parseSpec({ ...cnn, layers: [{ type: "maxPool3d" }] })).toThrow(
      "layers[0].type must be one of dense, activation, conv2d, conv1d, maxPool2d, avgPool2d, " +
        "globalAvgPool2d, flatten, dropout, batchNorm1d, batchNorm2d, layerNorm, embedding; " +
        'got "maxPool3d"');
  });
});

// Random chains of image layers: the inferred shapes are exactly the forward pass's, and a spec
// refused for its shapes is one whose layers, built and run in order, fail at that layer.
const imageLayer: fc.Arbitrary<LayerSpec> = fc.oneof(
  fc.record({
    type: fc.constant("conv2d" as const), outChannels: fc.integer({ min: 1, max: 4 }),
    kernelSize: fc.oneof(fc.integer({ min: 1, max: 4 }),
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))),
    stride: fc.integer({ min: 1, max: 3 }), padding: fc.integer({ min: 0, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }), groups: fc.constantFrom(1, 2),
  }),
  fc.record({
    type: fc.constant("conv2d" as const), outChannels: fc.constantFrom(2, 4),
    kernelSize: fc.integer({ min: 1, max: 4 }), padding: fc.constant("same" as const),
  }),
  fc.record({
    type: fc.constantFrom("maxPool2d" as const, "avgPool2d" as const),
    kernelSize: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }),
    padding: fc.integer({ min: 0, max: 1 }), ceilMode: fc.boolean(),
  }),
  fc.constant({ type: "batchNorm2d" as const }),
  fc.constant({ type: "dropout" as const, p: 0.5 }),
);

function buildAndRun(spec: ModelSpec): { failedAt: number | null; shapes: number[][] } {
  const shapes: number[][] = [];
  const rng = new Rng(1);
  let h: Tensor = randn([2, ...(spec.input as number[])], { seed: 9 });
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i];
    try {
      const type = registeredLayer(layer.type);
      const built = type === undefined
        ? new Dense({ inputSize: h.shape[h.rank - 1], outputSize: (layer as { units: number })
          .units })
        : type.fromSpec(layer as never, { input: h.shape.slice(1), rng, dropoutRng: rng,
          dtype: "float32" });
      h = built.forward(h);
    } catch {
      return { failedAt: i, shapes };
    }
    shapes.push(h.shape.slice(1));
  }
  return { failedAt: null, shapes };
}

describe("inferred shapes", () => {
  it("equal the shapes the layers compute, or the failure is at the layer named", () => {
    let built = 0;
    fc.assert(fc.property(
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 })),
      fc.array(imageLayer, { minLength: 1, maxLength: 5 }),
      (input, layers) => {
        const spec: ModelSpec = { input, layers: [...layers, { type: "flatten" },
          { type: "dense", units: 3 }] };
        const run = buildAndRun(spec);
        let failedAt: number | null = null;
        try {
          parseSpec(spec);
        } catch (err) {
          const path = (err as SpecError).problems[0].path;
          failedAt = Number(/^layers\[(\d+)\]/.exec(path)?.[1]);
        }
        expect(failedAt).toBe(run.failedAt);
        if (failedAt === null) {
          built++;
          expect(fromSpec(spec).layerShapes()).toEqual(run.shapes);
        }
      }), { numRuns: 300 });
    expect(built).toBeGreaterThan(30); // not only refusals
  });
});

describe("BatchNorm2d built from a spec", () => {
  it("keeps the spec's options", () => {
    const model = fromSpec({ input: [3, 4, 4], layers: [
      { type: "batchNorm2d", eps: 1e-3, momentum: 0.2, affine: false },
      { type: "flatten" }] });
    const bn = model.layers[0] as BatchNorm2d;
    expect([bn.numFeatures, bn.eps, bn.momentum, bn.weight]).toEqual([3, 1e-3, 0.2, null]);
    expect(model.layers[1]).toBeInstanceOf(Flatten);
  });
});
