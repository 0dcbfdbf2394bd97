// Weight files in PyTorch's names and layouts, checked against a state_dict PyTorch wrote
// (fixtures/make_torch_fixture.py), and tapegrad version 1 files still loading.
import { mkdtemp, readFile, rm, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, Tensor, randn } from "@tapegrad/core";
import {
  Dense, Module, Sequential, type ModelSpec, decodeSafetensors, encodeSafetensors, fromSpec,
  loadSafetensorsInto, modelToSafetensors, seedSpec, torchModelCode,
  torchStateEntries, torchModules,
} from "@tapegrad/nn";
import { loadModel } from "@tapegrad/nn/node";
import { describe, expect, it } from "vitest";

const fixtures = join(import.meta.dirname, "fixtures");
const read = (name: string) => readFile(join(fixtures, name));

// The tapegrad model equal to the fixture's nn.Sequential (see make_torch_fixture.py).
const torchFixtureSpec: ModelSpec = {
  input: 5,
  layers: [
    { type: "dense", units: 4, activation: "leakyRelu", alpha: 0.1 },
    { type: "dense", units: 4, activation: "relu", useBias: false },
    { type: "dense", units: 3 },
    { type: "activation", activation: "tanh" },
    { type: "dense", units: 3, activation: "sigmoid" },
    { type: "dense", units: 2, activation: "softmax" },
  ],
};

const torchNames = [
  "0.weight", "0.bias", "2.weight", "4.weight", "4.bias", "6.weight", "6.bias", "8.weight",
  "8.bias",
];

describe("PyTorch → tapegrad: a state_dict saved by PyTorch", () => {
  it("loads into the equivalent model, weights transposed, outputs as PyTorch's", async () => {
    const file = decodeSafetensors(await read("torch-sequential.safetensors"));
    expect(file.metadata).toEqual({ format: "pt" });
    expect(Object.keys(file.tensors).sort()).toEqual([...torchNames].sort());
    const model = fromSpec(torchFixtureSpec);
    loadSafetensorsInto(model, await read("torch-sequential.safetensors"), "torch fixture");

    // nn.Linear(5, 4).weight is [4, 5]; tapegrad's Dense keeps [5, 4]: W[i][j] = torch[j][i].
    const dense = model.layers[0] as Dense;
    const torchWeight = file.tensors["0.weight"];
    expect(torchWeight.shape).toEqual([4, 5]);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 4; j++) {
        expect(dense.weight.data[i * 4 + j]).toBe(torchWeight.data[j * 5 + i]);
      }
    }
    expect(Array.from(dense.bias?.data ?? [])).toEqual(Array.from(file.tensors["0.bias"].data));
    expect((model.layers[1] as Dense).bias).toBeNull();

    const io = decodeSafetensors(await read("torch-sequential.io.safetensors")).tensors;
    const y = model.forward(new Tensor(io.input.data, io.input.shape));
    expect(y.shape).toEqual(io.output.shape);
    y.data.forEach((v, k) => expect(Math.abs(v - io.output.data[k])).toBeLessThan(1e-6));
    // Not a vacuous comparison: the outputs differ between samples and from a fresh model.
    const fresh = fromSpec(torchFixtureSpec).forward(new Tensor(io.input.data, io.input.shape));
    const gap = Math.max(...fresh.data.map((v, k) => Math.abs(v - io.output.data[k])));
    expect(gap).toBeGreaterThan(1e-3);
  });

  it("writes it back with PyTorch's names, shapes and identical values", async () => {
    const model = fromSpec(torchFixtureSpec);
    const original = decodeSafetensors(await read("torch-sequential.safetensors")).tensors;
    loadSafetensorsInto(model, await read("torch-sequential.safetensors"));
    const written = decodeSafetensors(modelToSafetensors(model));
    expect(written.metadata).toEqual({ format: "pt", producer: "tapegrad", version: "2" });
    expect(Object.keys(written.tensors).sort()).toEqual(Object.keys(original).sort());
    for (const [name, t] of Object.entries(original)) {
      expect(written.tensors[name].shape, name).toEqual(t.shape);
      expect(written.tensors[name].dtype, name).toBe(t.dtype);
      expect(Array.from(written.tensors[name].data), name).toEqual(Array.from(t.data));
    }
  });

  it("names each tensor that does not fit, and changes nothing", async () => {
    const { tensors } = decodeSafetensors(await read("torch-sequential.safetensors"));
    const w = tensors["0.weight"];
    const transposedShape = { ...w, shape: [5, 4] }; // same data, the [in, out] shape
    const bytes = encodeSafetensors({ ...tensors, "0.weight": transposedShape });
    const model = fromSpec(torchFixtureSpec);
    const before = model.parameters().map((p) => Array.from(p.data));
    expect(() => loadSafetensorsInto(model, bytes, "w.safetensors")).toThrow(
      'w.safetensors: weights do not match the model: tensor "0.weight" is float32 [5, 4] but ' +
        "the model expects float32 [4, 5] (nn.Linear weight of layers[0] (Dense 5 → 4, leakyRelu))",
    );
    expect(model.parameters().map((p) => Array.from(p.data))).toEqual(before);

    const { ["2.weight"]: _w, ...noSecond } = tensors;
    const renamed = encodeSafetensors({ ...noSecond, "2.bias": tensors["4.bias"] });
    expect(() => loadSafetensorsInto(model, renamed))
      .toThrow('missing tensors ["2.weight"]; unexpected tensors ["2.bias"]');
  });

  it("explains names with a module prefix and version 1 names without their metadata", () => {
    const model = fromSpec({ input: 2, layers: [{ type: "dense", units: 1 }] });
    const t = (shape: number[]) => ({
      dtype: "float32" as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const prefixed = encodeSafetensors({ "net.0.weight": t([1, 2]), "net.0.bias": t([1]) });
    expect(() => loadSafetensorsInto(model, prefixed, "p.safetensors")).toThrow(
      'missing tensors ["0.weight", "0.bias"]; unexpected tensors ["net.0.bias", ' +
        '"net.0.weight"]. The file\'s names carry the prefix "net."',
    );
    const v1Names = encodeSafetensors({ "layers.0.weight": t([2, 1]), "layers.0.bias": t([1]) });
    expect(() => loadSafetensorsInto(model, v1Names, "v.safetensors")).toThrow(
      /version 1 layout \(weights \[in, out\]\), but the file's metadata lacks format "tapegrad"/,
    );
  });
});

describe("tapegrad → PyTorch names", () => {
  it("numbers modules as nn.Sequential: a Dense with an activation takes two indices", () => {
    const entries = torchStateEntries(torchModules(fromSpec(seedSpec())));
    expect(entries.map((e) => [e.name, e.tensor.shape])).toEqual([
      ["0.weight", [128, 784]], ["0.bias", [128]], ["2.weight", [64, 128]], ["2.bias", [64]],
      ["4.weight", [10, 64]], ["4.bias", [10]],
    ]);
  });

  it("gives the PyTorch model as Python source, as the fixture script builds it", () => {
    expect(torchModelCode(fromSpec(torchFixtureSpec))).toBe([
      "nn.Sequential(",
      "    nn.Linear(in_features=5, out_features=4, bias=True),",
      "    nn.LeakyReLU(negative_slope=0.1),",
      "    nn.Linear(in_features=4, out_features=4, bias=False),",
      "    nn.ReLU(),",
      "    nn.Linear(in_features=4, out_features=3, bias=True),",
      "    nn.Tanh(),",
      "    nn.Linear(in_features=3, out_features=3, bias=True),",
      "    nn.Sigmoid(),",
      "    nn.Linear(in_features=3, out_features=2, bias=True),",
      "    nn.Softmax(dim=-1),",
      ")",
    ].join("\n"));
  });

  it("nests a Sequential inside a Sequential (names i.j.weight) and round-trips float64", () => {
    const rng = new Rng(3);
    const inner = new Sequential([
      new Dense({ inputSize: 3, outputSize: 2, activation: "tanh", rng, dtype: "float64" }),
    ]);
    const model = new Sequential([
      new Dense({ inputSize: 4, outputSize: 3, rng, dtype: "float64" }), inner,
    ]);
    const { tensors } = decodeSafetensors(modelToSafetensors(model));
    expect(Object.keys(tensors).sort()).toEqual(["0.bias", "0.weight", "1.0.bias", "1.0.weight"]);
    expect(tensors["1.0.weight"]).toMatchObject({ dtype: "float64", shape: [2, 3] });
    const copy = new Sequential([
      new Dense({ inputSize: 4, outputSize: 3, seed: 9, dtype: "float64" }),
      new Sequential([
        new Dense({ inputSize: 3, outputSize: 2, activation: "tanh", seed: 9, dtype: "float64" }),
      ]),
    ]);
    loadSafetensorsInto(copy, modelToSafetensors(model));
    const x = randn([2, 4], { seed: 1, dtype: "float64" });
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(model.forward(x).data));
  });

  it("refuses a layer PyTorch has no equivalent for; layout 'tapegrad' saves it", () => {
    class Scale extends Module {
      readonly s = this.registerParameter("s", new Tensor(new Float32Array([2]), [1]));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const model = new Sequential([new Dense({ inputSize: 2, outputSize: 2 }), new Scale()]);
    expect(() => modelToSafetensors(model)).toThrow(
      "modelToSafetensors: layers[1] is a Scale, which has no PyTorch equivalent; " +
        "supported layers: Dense, Activation, Sequential",
    );
    expect(() => modelToSafetensors(model)).toThrow("; save such a model in tapegrad's own " +
      'layout: modelToSafetensors(model, {}, { layout: "tapegrad" })');
    const bytes = modelToSafetensors(model, {}, { layout: "tapegrad" });
    const file = decodeSafetensors(bytes);
    expect(file.metadata).toEqual({ format: "tapegrad", version: "1" });
    expect(Object.keys(file.tensors).sort())
      .toEqual(["layers.0.bias", "layers.0.weight", "layers.1.s"]);
    const other = new Sequential([
      new Dense({ inputSize: 2, outputSize: 2, seed: 5 }), new Scale(),
    ]);
    loadSafetensorsInto(other, bytes);
    expect(other.parameters().map((p) => Array.from(p.data)))
      .toEqual(model.parameters().map((p) => Array.from(p.data)));
    expect(() => modelToSafetensors(model, {}, { layout: "onnx" as "torch" }))
      .toThrow('modelToSafetensors: layout must be one of torch, tapegrad; got "onnx"');
    expect(() => modelToSafetensors(model, {}, { layot: "tapegrad" } as object))
      .toThrow(/modelToSafetensors: unknown option "layot"; did you mean "layout"/);
  });
});

describe("tapegrad version 1 files (layers.N.weight, [in, out])", () => {
  // Written by modelToSafetensors at commit bc79721, before the PyTorch layout.
  it("still load: same values, no transpose; saving again gives PyTorch's layout", async () => {
    const bytes = await read("tapegrad-v1.safetensors");
    const file = decodeSafetensors(bytes);
    expect(file.metadata).toMatchObject({ format: "tapegrad", version: "1" });
    const spec = JSON.parse(await readFile(join(fixtures, "tapegrad-v1.spec.json"), "utf8"));
    const model = fromSpec(spec);
    loadSafetensorsInto(model, bytes, "v1");
    const names = model.namedParameters().map(([n]) => n);
    expect(Object.keys(file.tensors).sort()).toEqual([...names].sort());
    for (const [name, p] of model.namedParameters()) {
      expect(p.shape, name).toEqual(file.tensors[name].shape);
      expect(Array.from(p.data), name).toEqual(Array.from(file.tensors[name].data));
    }
    const again = decodeSafetensors(modelToSafetensors(model)).tensors;
    const v1 = file.tensors["layers.0.weight"]; // [3, 4]
    expect(again["0.weight"].shape).toEqual([4, 3]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        expect(again["0.weight"].data[j * 3 + i]).toBe(v1.data[i * 4 + j]);
      }
    }
  });

  it("load as a model directory with loadModel", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapegrad-v1-"));
    try {
      await copyFile(join(fixtures, "tapegrad-v1.safetensors"), join(dir, "model.safetensors"));
      await copyFile(join(fixtures, "tapegrad-v1.spec.json"), join(dir, "spec.json"));
      const model = await loadModel(dir);
      const v1 = decodeSafetensors(await read("tapegrad-v1.safetensors")).tensors;
      const first = Array.from(v1["layers.0.weight"].data);
      expect(Array.from(model.parameters()[0].data)).toEqual(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
