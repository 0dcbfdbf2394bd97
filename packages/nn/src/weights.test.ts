// Tests for model weight files: save/load round trip, checkpoints, and clear errors on bad files.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, randn } from "@tapegrad/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { type Model, fromSpec } from "./spec.js";
import { SpecError } from "./spec-problems.js";
import type { ModelSpec } from "./spec-schema.js";
import { loadModel, saveModel } from "./model-files.js";
import { loadSafetensorsInto, modelToSafetensors } from "./weights.js";

const spec: ModelSpec = {
  input: 3,
  layers: [
    { type: "dense", units: 4, activation: "leakyRelu", alpha: 0.1, init: "heNormal" },
    { type: "dense", units: 2, biasInit: "normal", useBias: true },
    { type: "activation", activation: "sigmoid" },
  ],
  seed: 11,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-weights-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A model whose weights differ from what its seed gives, as after training.
function trained(s: ModelSpec = spec): Model {
  const model = fromSpec(s);
  const rng = new Rng(99);
  for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += rng.normal();
  return model;
}
const input = (dtype: "float32" | "float64" = "float32") => randn([5, 3], { seed: 1, dtype });
const weightsOf = (m: Model) =>
  m.namedParameters().map(([n, p]) => [n, p.dtype, Array.from(p.data)]);

describe("saveModel / loadModel", () => {
  it("restores the spec, identical weights and identical outputs", async () => {
    for (const s of [spec, { ...spec, dtype: "float64" as const }]) {
      const model = trained(s);
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      expect(loaded.toSpec()).toEqual(model.toSpec());
      expect(weightsOf(loaded)).toEqual(weightsOf(model));
      expect(weightsOf(loaded)).not.toEqual(weightsOf(fromSpec(s)));
      const x = input(s.dtype);
      expect(Array.from(loaded.forward(x).data)).toEqual(Array.from(model.forward(x).data));
    }
  });

  it("writes spec.json and model.safetensors in PyTorch's layout, no temp files", async () => {
    const target = join(dir, "nested", "run");
    await saveModel(trained(), target);
    await saveModel(trained(), target); // overwriting leaves nothing behind either
    expect((await readdir(target)).sort()).toEqual(["model.safetensors", "spec.json"]);
    expect(JSON.parse(await readFile(join(target, "spec.json"), "utf8"))).toEqual(spec);
    const bytes = await readFile(join(target, "model.safetensors"));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({
      spec: JSON.stringify(spec), format: "pt", producer: "tapegrad", version: "2",
    });
    // Dense(leakyRelu) is nn.Linear at 0 and nn.LeakyReLU at 1; nn.Linear's weight is [out, in].
    expect(Object.keys(tensors).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight"]);
    expect(tensors["0.weight"].shape).toEqual([4, 3]);
  });

  it("names a missing file", async () => {
    await expect(loadModel(dir))
      .rejects.toThrow(`cannot read ${join(dir, "spec.json")}: file not found`);
    await writeFile(join(dir, "spec.json"), JSON.stringify(spec));
    await expect(loadModel(dir))
      .rejects.toThrow(`cannot read ${join(dir, "model.safetensors")}: file not found`);
  });

  it("names spec.json when it is not JSON or not a valid spec", async () => {
    await saveModel(trained(), dir);
    const specPath = join(dir, "spec.json");
    await writeFile(specPath, '{"input": 3, "layers": [');
    await expect(loadModel(dir)).rejects.toThrow(`loadModel: ${specPath} is not valid JSON:`);
    await writeFile(specPath, JSON.stringify({ input: 3, layers: [{ type: "dense", units: -3 }] }));
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toContain(`loadModel: ${specPath}: invalid model spec`);
    expect((err as Error).message).toContain("layers[0].units must be a positive integer; got -3");
  });

  it("accepts a UTF-8 byte-order mark in spec.json (as editors on Windows write it)", async () => {
    const model = trained();
    await saveModel(model, dir);
    const specPath = join(dir, "spec.json");
    await writeFile(specPath, `\uFEFF${await readFile(specPath, "utf8")}`);
    expect(weightsOf(await loadModel(dir))).toEqual(weightsOf(model));
  });

  it("refuses spec.json past the size limits, naming the file; options raise them", async () => {
    await saveModel(trained(), dir);
    const specPath = join(dir, "spec.json");
    const size = (await readFile(specPath)).length;
    await expect(loadModel(dir, { maxBytes: size - 1 })).rejects.toThrow(
      `loadModel: ${specPath} is ${size} bytes long; the limit is ${size - 1} (raise the ` +
        "maxBytes option)",
    );
    await expect(loadModel(dir, { maxParameters: 25 })).rejects.toThrow(
      `loadModel: ${specPath}: invalid model spec (1 problem):\n  layers[1].units makes the ` +
        "model too large: 26 parameters with it",
    );
    await expect(loadModel(dir, { maxLayers: 2 })).rejects.toThrow(
      "layers must list at most 2 layers (raise the maxLayers option); got 3",
    );
    expect((await loadModel(dir, { maxParameters: 26, maxLayers: 3 })).layers).toHaveLength(3);
    await expect(loadModel(dir, { max_bytes: 1 } as never))
      .rejects.toThrow('loadModel: unknown option "max_bytes"; did you mean "maxBytes"?');
  });

  it("a path that is a file, or a model that is not from a spec, is named", async () => {
    const file = join(dir, "notes.txt");
    await writeFile(file, "hello");
    await expect(saveModel(trained(), file)).rejects.toThrow(
      `saveModel: cannot create the folder ${file}: a file of that name is in the way`);
    await expect(saveModel(trained(), join(file, "model"))).rejects.toThrow(
      `saveModel: cannot create the folder ${join(file, "model")}: a part of the path is a ` +
        "file, not a folder");
    await expect(loadModel(file)).rejects.toThrow(
      `loadModel: cannot read ${join(file, "spec.json")}: a part of the path is a file, not ` +
        "a folder");
    const layers = trained().layers;
    await expect(saveModel({ layers } as unknown as Model, dir)).rejects.toThrow(
      "saveModel: model must be a Model made by fromSpec (it saves the spec); got an object");
  });

  it("names model.safetensors when it is corrupt or truncated", async () => {
    await saveModel(trained(), dir);
    const path = join(dir, "model.safetensors");
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    await expect(loadModel(dir)).rejects.toThrow(`${path}: not a valid safetensors file:`);
    await writeFile(path, "not safetensors at all");
    await expect(loadModel(dir)).rejects.toThrow(`${path}: not a valid safetensors file:`);
  });

  it("refuses spec.json and model.safetensors from different saves (equal shapes)", async () => {
    await saveModel(trained(), dir);
    // What an interrupted save leaves: new weights, but the spec of an earlier save.
    await writeFile(join(dir, "spec.json"), JSON.stringify({ ...spec, seed: 12 }));
    await expect(loadModel(dir)).rejects.toThrow(
      `loadModel: ${join(dir, "spec.json")} and ${join(dir, "model.safetensors")} come from ` +
        "different saves",
    );
  });

  it("names model.safetensors when its tensors do not fit the spec", async () => {
    await saveModel(trained(), dir);
    const wider = { ...spec, layers: [{ ...spec.layers[0], units: 5 }, ...spec.layers.slice(1)] };
    await writeFile(join(dir, "spec.json"), JSON.stringify(wider));
    const path = join(dir, "model.safetensors");
    await expect(loadModel(dir)).rejects.toThrow(
      `${path}: weights do not match the model: tensor "0.weight" is float32 [4, 3] but ` +
        "the model expects float32 [5, 3] (nn.Linear weight of layers[0] (Dense 3 → 5, leakyRelu))",
    );
    await writeFile(join(dir, "spec.json"), JSON.stringify({ ...spec, dtype: "float64" }));
    await expect(loadModel(dir))
      .rejects.toThrow(/"0.bias" is float32 \[4\] but the model expects float64 \[4\]/);
  });
});

describe("modelToSafetensors / loadSafetensorsInto", () => {
  it("round-trips a checkpoint into a fresh model and returns the metadata", () => {
    const model = trained();
    const bytes = modelToSafetensors(model, { step: "100", format: "ignored" });
    const fresh = fromSpec(spec);
    const metadata = loadSafetensorsInto(fresh, bytes);
    expect(metadata).toEqual({ step: "100", format: "pt", producer: "tapegrad", version: "2" });
    expect(weightsOf(fresh)).toEqual(weightsOf(model));
  });

  it("lists missing and unexpected tensors and changes nothing", () => {
    const model = trained();
    const { tensors } = decodeSafetensors(modelToSafetensors(model));
    const { ["2.bias"]: _dropped, ...rest } = tensors;
    const bytes = encodeSafetensors({ ...rest, "3.weight": tensors["2.bias"] });
    const fresh = fromSpec(spec);
    const before = weightsOf(fresh);
    expect(() => loadSafetensorsInto(fresh, bytes, "ckpt.safetensors")).toThrow(
      'ckpt.safetensors: weights do not match the model: missing tensors ["2.bias"]; ' +
        'unexpected tensors ["3.weight"]',
    );
    expect(weightsOf(fresh)).toEqual(before);
  });

  it("rejects a tapegrad file of another version", () => {
    const bytes = encodeSafetensors({}, { format: "tapegrad", version: "2" });
    expect(() => loadSafetensorsInto(fromSpec(spec), bytes, "w.safetensors")).toThrow(
      'w.safetensors: unsupported tapegrad weights version; got "2", expected "1"',
    );
  });

  it("accepts foreign files with matching names (no tapegrad metadata)", () => {
    const model = trained();
    const { tensors } = decodeSafetensors(modelToSafetensors(model));
    const fresh = fromSpec(spec);
    loadSafetensorsInto(fresh, encodeSafetensors(tensors, { format: "pt" }));
    expect(weightsOf(fresh)).toEqual(weightsOf(model));
  });
});
