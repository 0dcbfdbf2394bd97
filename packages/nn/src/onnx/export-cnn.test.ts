// exportOnnx of the CNN layer types: each one run in onnxruntime against tapegrad's forward
// pass in evaluation mode (running statistics moved away from their start first), and the
// graph's nodes, shapes and initializers.
import { type DType, Tensor, randn } from "@tapegrad/core";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { registerLayers } from "../layer-registry.js";
import { type Model, fromSpec } from "../spec.js";
import { SPEC_LAYERS } from "../spec-layers.js";
import type { LayerSpec, ModelSpec } from "../spec-schema.js";
import { exportOnnx } from "./export.js";
import { decodeModel } from "./proto.js";

registerLayers(...SPEC_LAYERS); // as @tapegrad/nn's main entry does

/** A model whose batch norms have seen three batches, in evaluation mode. */
function trained(spec: ModelSpec, shape: readonly number[]): Model {
  const model = fromSpec(spec);
  for (let i = 0; i < 3; i++) {
    model.forward(randn([4, ...shape.slice(1)], { seed: 10 + i, dtype: spec.dtype })
      .mul(2).add(0.5));
  }
  return model.eval();
}

async function maxDifference(model: Model, x: Tensor): Promise<number> {
  const session = await ort.InferenceSession.create(exportOnnx(model));
  const out = await session.run({ input: new ort.Tensor(x.dtype, x.data, [...x.shape]) });
  const want = model.forward(x);
  expect(out.output.dims).toEqual(want.shape);
  let worst = 0;
  (out.output.data as Float32Array).forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - want.data[i]));
  });
  return worst;
}

const spec = (input: number[], layers: LayerSpec[], dtype: DType = "float32"): ModelSpec =>
  ({ input, seed: 2, dtype, layers });

const CASES: Array<[string, ModelSpec]> = [
  ["conv2d: padding, stride, dilation, groups, 'same', fused and other activations", spec(
    [3, 9, 8], [
      { type: "conv2d", outChannels: 4, kernelSize: 3, padding: 1, activation: "relu",
        biasInit: "normal" },
      { type: "conv2d", outChannels: 4, kernelSize: [2, 3], stride: [2, 1], dilation: [1, 2],
        groups: 2, bias: false, activation: "tanh" },
      { type: "conv2d", outChannels: 2, kernelSize: 4, padding: "same" },
    ])],
  ["max and average pooling: padding, ceil mode, dilation, count_include_pad", spec(
    [3, 11, 10], [
      { type: "maxPool2d", kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
      { type: "avgPool2d", kernelSize: 2, stride: 1, padding: 1, countIncludePad: false },
      { type: "avgPool2d", kernelSize: 2, ceilMode: true },
      { type: "maxPool2d", kernelSize: 2, stride: 1, dilation: 2 },
    ])],
  ["batch norms (affine or not, batch statistics), global pooling, layer norm, dropout", spec(
    [3, 9, 8], [
      { type: "batchNorm2d" }, { type: "batchNorm2d", affine: false, momentum: null },
      { type: "batchNorm2d", trackRunningStats: false }, { type: "globalAvgPool2d" },
      { type: "batchNorm1d" }, { type: "layerNorm" }, { type: "dropout" },
      { type: "dense", units: 3 },
    ])],
  ["flatten from axis 2, layer norm without affine, batch norm 1d of [n, c, l]", spec(
    [3, 9, 8], [
      { type: "flatten", startDim: 2 },
      { type: "layerNorm", normalizedShape: [72], elementwiseAffine: false },
      { type: "batchNorm1d", trackRunningStats: false, affine: false }, { type: "flatten" },
    ])],
  ["flatten of inner axes", spec([2, 3, 4, 5], [
    { type: "flatten", startDim: 1, endDim: 2 }, { type: "flatten", startDim: 2, endDim: -2 },
    { type: "flatten", startDim: 2, endDim: 3 }])],
  ["conv1d and batch norm of [n, c, length]", spec([3, 17], [
    { type: "conv1d", outChannels: 4, kernelSize: 3, padding: "same", activation: "relu" },
    { type: "conv1d", outChannels: 2, kernelSize: 2, stride: 2, dilation: 2, groups: 2 },
    { type: "batchNorm1d" }])],
  ["C1 (the issue's CNN) with batch norm and dropout", spec([1, 28, 28], [
    { type: "conv2d", outChannels: 16, kernelSize: 5, padding: 2, activation: "relu" },
    { type: "maxPool2d", kernelSize: 2 }, { type: "batchNorm2d" },
    { type: "conv2d", outChannels: 32, kernelSize: 5, padding: 2, activation: "relu" },
    { type: "maxPool2d", kernelSize: 2 }, { type: "flatten" }, { type: "dropout", p: 0.5 },
    { type: "dense", units: 128, activation: "relu" }, { type: "dense", units: 10 }])],
];

describe("exportOnnx of CNN layers in onnxruntime", { timeout: 60_000 }, () => {
  for (const [name, s] of CASES) {
    it(name, async () => {
      const input = s.input as number[];
      const model = trained(s, [4, ...input]);
      const x = randn([3, ...input], { seed: 1 });
      expect(await maxDifference(model, x)).toBeLessThanOrEqual(1e-5);
    });
  }

  it("embedding: the model's float ids cast for Gather", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const model = fromSpec(spec([5], [{ type: "embedding", numEmbeddings: 7, embeddingDim: 3 },
        { type: "layerNorm" }], dtype));
      const data = [0, 1, 2, 6, 5, 3, 3, 3, 0, 1];
      const ids = new Tensor(dtype === "float32" ? Float32Array.from(data)
        : Float64Array.from(data), [2, 5]);
      // float64: onnxruntime's LayerNormalization sums in another order (~5e-12 here).
      expect(await maxDifference(model, ids)).toBeLessThanOrEqual(dtype === "float32"
        ? 1e-5 : 1e-10);
    }
  });
});

describe("exportOnnx graph of a CNN", () => {
  it("takes [batch, ...input shape], names initializers as the safetensors file", () => {
    const model = fromSpec(CASES[6][1]);
    const g = decodeModel(exportOnnx(model)).graph;
    expect(g.node.map((n) => n.opType)).toEqual([
      "Conv", "Relu", "MaxPool", "BatchNormalization", "Conv", "Relu", "MaxPool", "Flatten",
      "Identity", "Gemm", "Relu", "Gemm",
    ]);
    const dims = (v: typeof g.input[0]) => v.type.tensorType.shape.dim;
    expect(dims(g.input[0])).toEqual([{ dimParam: "batch" }, { dimValue: 1 }, { dimValue: 28 },
      { dimValue: 28 }]);
    expect(dims(g.output[0])).toEqual([{ dimParam: "batch" }, { dimValue: 10 }]);
    expect(g.initializer.map((t) => [t.name, t.dims])).toEqual([
      ["0.weight", [16, 1, 5, 5]], ["0.bias", [16]], ["3.weight", [16]], ["3.bias", [16]],
      ["3.running_mean", [16]], ["3.running_var", [16]], ["4.weight", [32, 16, 5, 5]],
      ["4.bias", [32]], ["9.weight", [128, 1568]], ["9.bias", [128]], ["11.weight", [10, 128]],
      ["11.bias", [10]],
    ]);
    const conv = g.node[0].attribute.map((a) => [a.name, a.type === 7 ? a.ints : a.i]); // INTS
    expect(conv).toEqual([["kernel_shape", [5, 5]], ["strides", [1, 1]], ["dilations", [1, 1]],
      ["pads", [2, 2, 2, 2]], ["group", 1]]);
  });

  it("keeps a float64 model's dtype, parameters or not", () => {
    const pools = fromSpec(spec([1, 4, 4], [{ type: "maxPool2d", kernelSize: 2 }], "float64"));
    const g = decodeModel(exportOnnx(pools)).graph;
    expect(g.input[0].type.tensorType.elemType).toBe(11); // DOUBLE
  });
});
