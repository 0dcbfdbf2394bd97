// Tests for the model spec: every validation rule, round trip, seeding, JSON Schema file.
import { readFileSync } from "node:fs";
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { Model, fromSpec, parseSpec, seedSpec } from "./spec.js";
import { modelSpecJsonSchema } from "./spec-json-schema.js";
import { SpecError } from "./spec-problems.js";
import type { ModelSpec } from "./spec-schema.js";

const LAYER_TYPES = "dense, activation, conv2d, conv1d, maxPool2d, avgPool2d, " +
  "globalAvgPool2d, flatten, dropout, batchNorm1d, batchNorm2d, layerNorm, embedding";

const small: ModelSpec = {
  input: 2,
  layers: [
    { type: "dense", units: 3, activation: "tanh" },
    { type: "dense", units: 1 },
    { type: "activation", activation: "sigmoid" },
  ],
  seed: 7,
};
const withLayer = (layer: unknown): unknown => ({ input: 2, layers: [layer] });
const dense = (fields: object): unknown => withLayer({ type: "dense", units: 1, ...fields });
const problems = (json: unknown): string[] => {
  try {
    parseSpec(json);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).problems.map((p) => p.message);
  }
  throw new Error("expected a SpecError");
};

describe("parseSpec: validation", () => {
  it.each([
    [dense({ units: -3 }), "layers[0].units must be a positive integer; got -3"],
    [dense({ units: 0 }), "layers[0].units must be a positive integer; got 0"],
    [dense({ units: 2.5 }), "layers[0].units must be a positive integer; got 2.5"],
    [dense({ units: "4" }), `layers[0].units must be a positive integer; got "4"`],
    [withLayer({ type: "dense" }), "layers[0].units is missing; it must be a positive integer"],
    [
      dense({ activation: "lrelu" }),
      "layers[0].activation must be one of identity, sigmoid, tanh, relu, leakyRelu, softmax; " +
        `got "lrelu"`,
    ],
    [withLayer({ type: "activation" }), "layers[0].activation is missing; it must be one of"],
    [dense({ alpha: "x" }), `layers[0].alpha must be a finite number; got "x"`],
    [dense({ alpha: Infinity }), "layers[0].alpha must be a finite number; got Infinity"],
    [
      dense({ init: "xavier" }),
      "layers[0].init must be one of zeros, constant, uniform, normal, glorotUniform, " +
        `glorotNormal, heUniform, heNormal; got "xavier"`,
    ],
    [dense({ biasInit: "one" }), `layers[0].biasInit must be one of zeros`],
    [dense({ useBias: 1 }), "layers[0].useBias must be true or false; got 1"],
    [dense({ type: "conv" }), `layers[0].type must be one of ${LAYER_TYPES}; got "conv"`],
    [withLayer({ units: 1 }), "layers[0].type is missing; it must be one of dense, activation"],
    [withLayer(5), "layers[0] must be an object; got 5"],
    [
      dense({ size: 4 }),
      `layers[0] has unknown key "size"; valid keys: type, units, activation, alpha, init, ` +
        "biasInit, useBias",
    ],
    [
      withLayer({ type: "activation", activation: "relu", units: 4 }),
      `layers[0] has unknown key "units"; valid keys: type, activation, alpha`,
    ],
    [{ ...small, input: 0 }, "input must be a positive integer; got 0"],
    [{ ...small, input: [] }, "input must be a positive integer or a list of at most 8 " +
      "positive integers; got []"],
    [{ ...small, input: [1, 2.5] }, "input[1] must be a positive integer; got 2.5"],
    [{ ...small, input: "28" }, `input must be a positive integer or a list of at most 8 ` +
      `positive integers; got "28"`],
    [{ layers: small.layers }, "input is missing; it must be a positive integer"],
    [{ input: 2 }, "layers is missing; it must be an array of layers"],
    [{ input: 2, layers: [] }, "layers must list at least one layer; got []"],
    [{ input: 2, layers: {} }, "layers must be an array of layers; got {}"],
    [{ ...small, seed: 0.5 }, "seed must be an integer; got 0.5"],
    [{ ...small, dtype: "int8" }, `dtype must be one of float32, float64; got "int8"`],
    [{ ...small, $schema: 3 }, "$schema must be a string; got 3"],
    [{ ...small, hidden: [4] }, `spec has unknown key "hidden"; valid keys: $schema, input`],
    [{ ...small, inputs: 2 },
      `spec has unknown key "inputs" (did you mean "input"?); valid keys: $schema, input`],
    [null, "spec must be an object; got null"],
    [[], "spec must be an object; got []"],
    ["{}", `spec must be an object; got "{}" (JSON text: read it with parseSpecText)`],
  ])("%j -> %s", (json, fragment) => {
    const found = problems(json);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(fragment);
  });

  it("lists every problem in one error, one per line, with a count", () => {
    const json = {
      input: -1,
      layers: [{ type: "dense", units: 4 }, { type: "dense", units: -3, activation: "lrelu" }],
      extra: true,
    };
    expect(() => parseSpec(json)).toThrow(SpecError);
    expect(() => parseSpec(json)).toThrow(
      "parseSpec: invalid model spec (4 problems):\n" +
        "  input must be a positive integer; got -1\n" +
        "  layers[1].units must be a positive integer; got -3\n" +
        "  layers[1].activation must be one of identity, sigmoid, tanh, relu, leakyRelu, " +
        `softmax; got "lrelu"\n` +
        `  spec has unknown key "extra"; valid keys: $schema, input, layers, seed, dtype`,
    );
    expect(problems(json).length).toBe(4);
  });

  it("names the source when given one, and records paths", () => {
    try {
      parseSpec(dense({ units: -3 }), "loadModel: spec.json");
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message)
        .toMatch(/^loadModel: spec\.json: invalid model spec \(1 problem\)/);
      expect((err as SpecError).problems[0].path).toBe("layers[0].units");
      expect((err as Error).name).toBe("SpecError");
    }
  });

  it("accepts every valid field and returns a copy, adding no defaults", () => {
    const json = {
      $schema: "./node_modules/@tapegrad/nn/model-spec.schema.json",
      input: 3,
      layers: [
        {
          type: "dense", units: 4, activation: "leakyRelu", alpha: 0.2, init: "heUniform",
          biasInit: "constant", useBias: true,
        },
        { type: "dense", units: 2, useBias: false },
        { type: "activation", activation: "leakyRelu", alpha: 0.1 },
      ],
      seed: -5,
      dtype: "float64",
    };
    const spec = parseSpec(json);
    expect(spec).toEqual(json);
    expect(spec).not.toBe(json);
    expect(spec.layers[0]).not.toBe(json.layers[0]);
    expect(parseSpec(small)).toEqual(small);
  });

  it("fromSpec and new Model validate too", () => {
    expect(() => fromSpec({ input: 2, layers: [] })).toThrow(SpecError);
    expect(() => new Model(JSON.parse(`{"input": 2, "layers": [{"type": "dense", "units": -3}]}`)))
      .toThrow("layers[0].units must be a positive integer; got -3");
  });
});

describe("fromSpec", () => {
  it("builds Dense and Activation layers with chained sizes and the given options", () => {
    const model = fromSpec({
      input: 5,
      layers: [
        { type: "dense", units: 4, activation: "leakyRelu", alpha: 0.2, useBias: false },
        { type: "dense", units: 3, init: "zeros", biasInit: "zeros" },
        { type: "activation", activation: "softmax" },
      ],
      dtype: "float64",
    });
    const [a, b, c] = model.layers;
    expect(a).toBeInstanceOf(Dense);
    expect(b).toBeInstanceOf(Dense);
    expect(c).toBeInstanceOf(Activation);
    const first = a as Dense;
    expect([first.inputSize, first.outputSize, first.alpha]).toEqual([5, 4, 0.2]);
    expect((a as Dense).activationName).toBe("leakyRelu");
    expect((a as Dense).bias).toBeNull();
    expect((b as Dense).inputSize).toBe(4);
    expect(Array.from((b as Dense).weight.data).every((v) => v === 0)).toBe(true);
    expect(model.namedParameters().map(([n]) => n))
      .toEqual(["layers.0.weight", "layers.1.weight", "layers.1.bias"]);
    expect(model.parameters().every((p) => p.dtype === "float64")).toBe(true);
    expect([model.inputSize, model.outputSize, model.outputActivation]).toEqual([5, 3, "softmax"]);
    const y = model.forward(tensor([[1, 2, 3, 4, 5]], { dtype: "float64" }));
    expect(y.shape).toEqual([1, 3]);
  });

  it("defaults: identity activation, float32, seed 0", () => {
    const model = fromSpec({ input: 2, layers: [{ type: "dense", units: 2 }] });
    expect(model.outputActivation).toBe("identity");
    expect(model.parameters()[0].dtype).toBe("float32");
    const seeded = fromSpec({ input: 2, layers: [{ type: "dense", units: 2 }], seed: 0 });
    expect(Array.from(seeded.parameters()[0].data)).toEqual(Array.from(model.parameters()[0].data));
  });

  it("same seed gives the same weights; another seed differs", () => {
    const weights = (spec: ModelSpec) => model2json(fromSpec(spec));
    expect(weights(small)).toBe(weights(structuredClone(small)));
    expect(weights(small)).not.toBe(weights({ ...small, seed: 8 }));
  });

  it("draws layers from one generator in order (layer 2 differs from a fresh seed)", () => {
    const model = fromSpec({ input: 2, layers: [
      { type: "dense", units: 2 }, { type: "dense", units: 2 }], seed: 3 });
    const [w0, , w1] = model.parameters();
    expect(Array.from(w0.data)).not.toEqual(Array.from(w1.data));
  });
});

describe("toSpec round trip", () => {
  it("returns a deep copy of the spec exactly as given", () => {
    const model = fromSpec(small);
    const spec = model.toSpec();
    expect(JSON.stringify(spec)).toBe(JSON.stringify(small));
    spec.layers.push({ type: "activation", activation: "relu" });
    (spec.layers[0] as { units: number }).units = 99;
    expect(JSON.stringify(model.toSpec())).toBe(JSON.stringify(small));
  });

  it("fromSpec(model.toSpec()) has the same spec and the same weights", () => {
    for (const spec of [small, seedSpec(), { ...small, dtype: "float64" as const }]) {
      const model = fromSpec(spec);
      const again = fromSpec(JSON.parse(JSON.stringify(model.toSpec())));
      expect(JSON.stringify(again.toSpec())).toBe(JSON.stringify(model.toSpec()));
      expect(sameWeights(again, model)).toBe(true);
    }
  });
});

describe("seedSpec", () => {
  it("builds the seed question's 784-128-64-10 network with sigmoid outputs", () => {
    const model = fromSpec(seedSpec());
    expect(model.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual([
      ["layers.0.weight", [784, 128]], ["layers.0.bias", [128]],
      ["layers.1.weight", [128, 64]], ["layers.1.bias", [64]],
      ["layers.2.weight", [64, 10]], ["layers.2.bias", [10]],
    ]);
    expect(model.outputActivation).toBe("sigmoid");
    expect(seedSpec().seed).toBe(42);
    expect(seedSpec()).not.toBe(seedSpec());
    // He-normal hidden weights: not all zero (the seed question's bug), std ≈ √(2/784)
    const w = Array.from(model.parameters()[0].data);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.9 * Math.sqrt(2 / 784));
    expect(std).toBeLessThan(1.1 * Math.sqrt(2 / 784));
  });
});

describe("model-spec.schema.json", () => {
  it("equals the schema generated from valibot (run `pnpm --filter @tapegrad/nn schema`)", () => {
    const file = readFileSync(new URL("../model-spec.schema.json", import.meta.url), "utf8");
    expect(file).toBe(`${JSON.stringify(modelSpecJsonSchema(), null, 2)}\n`);
  });

  it("describes the strict discriminated union", () => {
    const schema = modelSpecJsonSchema() as {
      required: string[]; additionalProperties: boolean;
      properties: { layers: { minItems: number; items: { oneOf: Array<{ title: string }> } } };
    };
    expect(schema.required).toEqual(["input", "layers"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.layers.minItems).toBe(1);
    expect(schema.properties.layers.items.oneOf.map((s) => s.title.split(" ")[0])).toEqual([
      "Dense", "Activation", "Conv2d", "Conv1d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d",
      "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
    ]);
  });
});

function sameWeights(a: Model, b: Model): boolean {
  const pa = a.namedParameters();
  const pb = b.namedParameters();
  return pa.length === pb.length && pa.every(([name, p], i) =>
    name === pb[i][0] && p.dtype === pb[i][1].dtype &&
    p.data.every((v, j) => v === pb[i][1].data[j]));
}

function model2json(model: Model): string {
  return JSON.stringify(model.namedParameters().map(([n, p]) => [n, Array.from(p.data)]));
}
