// CNN weight files in PyTorch's names and layouts, against state_dicts PyTorch 1.13 wrote
// (fixtures/make_torch_fixture.py): convolutions, pooling, batch norm with its running
// statistics and int64 num_batches_tracked, layer norm, embedding, dropout; outputs as PyTorch's.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tensor } from "@tapegrad/core";
import {
  type BatchNorm, type ModelSpec, decodeSafetensors, fromSpec, loadSafetensorsInto,
  modelToSafetensors, torchModelCode, torchStateEntries, torchModules,
} from "@tapegrad/nn";
import { describe, expect, it } from "vitest";

const fixtures = join(import.meta.dirname, "fixtures");
const read = (name: string) => readFile(join(fixtures, name));

// The tapegrad models equal to make_torch_fixture.py's CNN_MODELS.
const SPECS: Record<string, ModelSpec> = {
  image: { input: [1, 12, 12], layers: [
    { type: "conv2d", outChannels: 4, kernelSize: 3, padding: 1, activation: "relu" },
    { type: "maxPool2d", kernelSize: 2 },
    { type: "batchNorm2d" },
    { type: "conv2d", outChannels: 6, kernelSize: [3, 2], groups: 2, bias: false },
    { type: "avgPool2d", kernelSize: 2, padding: 1, countIncludePad: false },
    { type: "flatten" }, { type: "dropout", p: 0.3 },
    { type: "dense", units: 10 },
  ] },
  tokens: { input: [5], layers: [
    { type: "embedding", numEmbeddings: 10, embeddingDim: 4 }, { type: "layerNorm" },
    { type: "flatten" }, { type: "batchNorm1d", momentum: null }, { type: "dense", units: 3 },
  ] },
  signal: { input: [2, 9], layers: [
    { type: "conv1d", outChannels: 4, kernelSize: 3, padding: 1, activation: "relu" },
    { type: "batchNorm1d", eps: 1e-3, momentum: 0.2 }, { type: "flatten" },
    { type: "dense", units: 2 },
  ] },
  pooled: { input: [1, 6, 6], layers: [
    { type: "conv2d", outChannels: 3, kernelSize: 3, activation: "relu" },
    { type: "globalAvgPool2d" }, { type: "dense", units: 2 },
  ] },
};

describe.each(Object.keys(SPECS))("the PyTorch %s model", (name) => {
  it("loads into the equivalent tapegrad model, which gives PyTorch's outputs", async () => {
    const file = await read(`torch-${name}.safetensors`);
    const model = fromSpec(SPECS[name]);
    loadSafetensorsInto(model, file, `torch-${name}`);
    const io = decodeSafetensors(await read(`torch-${name}.io.safetensors`)).tensors;
    const x = new Tensor(Float32Array.from(io.input.data), io.input.shape);
    const y = model.eval().forward(x);
    expect(y.shape).toEqual(io.output.shape);
    const gap = (values: ArrayLike<number>) =>
      Math.max(...Array.from(values, (v, k) => Math.abs(v - io.output.data[k])));
    expect(gap(y.data)).toBeLessThan(2e-6);
    // Not vacuous: a fresh model is far off.
    const fresh = fromSpec(SPECS[name]).eval().forward(x);
    expect(gap(fresh.data)).toBeGreaterThan(1e-3);
  });

  it("writes PyTorch's names, shapes, dtypes and values back (num_batches_tracked as I64)",
    async () => {
      const original = decodeSafetensors(await read(`torch-${name}.safetensors`)).tensors;
      const model = fromSpec(SPECS[name]);
      loadSafetensorsInto(model, await read(`torch-${name}.safetensors`));
      const written = decodeSafetensors(modelToSafetensors(model)).tensors;
      expect(Object.keys(written).sort()).toEqual(Object.keys(original).sort());
      for (const [key, t] of Object.entries(original)) {
        expect(written[key].shape, key).toEqual(t.shape);
        expect(written[key].dtype, key).toBe(t.dtype);
        expect(Array.from(written[key].data), key).toEqual(Array.from(t.data));
      }
    });
});

describe("batch norm buffers in weight files", () => {
  it("are PyTorch's buffers: running statistics and the count of batches, loaded too", async () => {
    const file = decodeSafetensors(await read("torch-image.safetensors"));
    expect(file.tensors["3.num_batches_tracked"]).toEqual(
      { dtype: "int64", shape: [], data: new Float64Array([3]) });
    const model = fromSpec(SPECS.image);
    loadSafetensorsInto(model, await read("torch-image.safetensors"));
    const bn = model.layers[2] as BatchNorm;
    expect(bn.numBatchesTracked!.data[0]).toBe(3);
    expect(Array.from(bn.runningVar!.data))
      .toEqual(Array.from(file.tensors["3.running_var"].data));
    const entries = torchStateEntries(torchModules(model)).map((e) => [e.name, e.tensor.dtype]);
    expect(entries.filter(([n]) => String(n).startsWith("3."))).toEqual([
      ["3.weight", "float32"], ["3.bias", "float32"], ["3.running_mean", "float32"],
      ["3.running_var", "float32"], ["3.num_batches_tracked", "int64"],
    ]);
  });

  it("must be there: a file without them is refused, naming each", async () => {
    const { tensors } = decodeSafetensors(await read("torch-image.safetensors"));
    const { ["3.running_var"]: _v, ["3.num_batches_tracked"]: _n, ...rest } = tensors;
    const { encodeSafetensors } = await import("@tapegrad/nn");
    const model = fromSpec(SPECS.image);
    expect(() => loadSafetensorsInto(model, encodeSafetensors(rest), "old.safetensors"))
      .toThrow('old.safetensors: weights do not match the model: missing tensors ' +
        '["3.running_var", "3.num_batches_tracked"]');
    const asFloat = { ...tensors, "3.num_batches_tracked": { dtype: "float64" as const,
      shape: [], data: new Float64Array([3]) } };
    expect(() => loadSafetensorsInto(model, encodeSafetensors(asFloat))).toThrow(
      'tensor "3.num_batches_tracked" is float64 [] but the model expects int64 [] ' +
        "(nn.BatchNorm2d num_batches_tracked of layers[2] (BatchNorm2d 4))");
  });
});

describe("the PyTorch model as Python", () => {
  it("has every layer type's arguments", () => {
    const code = (name: string) => torchModelCode(fromSpec(SPECS[name]));
    expect(code("image")).toBe([
      "nn.Sequential(",
      "    nn.Conv2d(in_channels=1, out_channels=4, kernel_size=3, stride=1, padding=1, " +
        "dilation=1, groups=1, bias=True),",
      "    nn.ReLU(),",
      "    nn.MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False),",
      "    nn.BatchNorm2d(num_features=4, eps=0.00001, momentum=0.1, affine=True, " +
        "track_running_stats=True),",
      "    nn.Conv2d(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=1, padding=0, " +
        "dilation=1, groups=2, bias=False),",
      "    nn.AvgPool2d(kernel_size=2, stride=2, padding=1, ceil_mode=False, " +
        "count_include_pad=False),",
      "    nn.Flatten(start_dim=1, end_dim=-1),",
      "    nn.Dropout(p=0.3),",
      "    nn.Linear(in_features=54, out_features=10, bias=True),",
      ")",
    ].join("\n"));
    expect(code("tokens")).toContain("nn.LayerNorm(normalized_shape=(4,), eps=0.00001, " +
      "elementwise_affine=True),");
    expect(code("tokens")).toContain("nn.BatchNorm1d(num_features=20, eps=0.00001, " +
      "momentum=None, affine=True, track_running_stats=True),");
    expect(code("tokens")).toContain("nn.Embedding(num_embeddings=10, embedding_dim=4),");
    expect(code("pooled")).toContain("nn.AdaptiveAvgPool2d(output_size=1),\n    " +
      "nn.Flatten(start_dim=1, end_dim=-1),");
  });
});
