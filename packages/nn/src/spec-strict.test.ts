// Tests for the spec's own valibot schemas: what valibot alone would get wrong stays right.
import { afterEach, describe, expect, it } from "vitest";
import * as v from "valibot";
import { parseSpec } from "./spec.js";
import { SpecError } from "./spec-problems.js";
import { layerSpecSchema, modelSpecSchema } from "./spec-schema.js";

const LAYER_TYPES = "dense, activation, conv2d, conv1d, maxPool2d, avgPool2d, " +
  "globalAvgPool2d, flatten, dropout, batchNorm1d, batchNorm2d, layerNorm, embedding";

const problems = (json: unknown): string[] => {
  try {
    parseSpec(json);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).problems.map((p) => p.message);
  }
  throw new Error("expected a SpecError");
};
const dense = (fields: object): unknown => ({
  input: 2, layers: [{ type: "dense", units: 1, ...fields }],
});

afterEach(() => {
  v.deleteGlobalConfig();
});

describe("strict objects", () => {
  it.each(["constructor", "prototype", "__proto__"])(
    "%s is an unknown key (valibot's objects skip it)",
    (key) => {
      const layers = '[{"type": "dense", "units": 1}]';
      const spec = JSON.parse(`{"input": 2, "layers": ${layers}, "${key}": 1}`);
      expect(problems(spec)).toEqual([
        `spec has unknown key "${key}"; valid keys: $schema, input, layers, seed, dtype`,
      ]);
      const layer = JSON.parse(`{"type": "activation", "activation": "relu", "${key}": 1}`);
      expect(problems({ input: 2, layers: [layer] })).toEqual([
        `layers[0] has unknown key "${key}"; valid keys: type, activation, alpha`,
      ]);
    },
  );

  it("reports unknown keys after the object's other problems, and both", () => {
    expect(problems(dense({ units: -3, size: 4, activation: "lrelu" }))).toEqual([
      "layers[0].units must be a positive integer; got -3",
      "layers[0].activation must be one of identity, sigmoid, tanh, relu, leakyRelu, softmax; " +
        'got "lrelu"',
      'layers[0] has unknown key "size"; valid keys: type, units, activation, alpha, init, ' +
        "biasInit, useBias",
    ]);
  });

  it("an array is not an object, at the top and as a layer", () => {
    expect(problems([{ input: 2 }])).toEqual(['spec must be an object; got [{"input":2}]']);
    expect(problems({ input: 2, layers: [[{ type: "dense", units: 1 }]] }))
      .toEqual(['layers[0] must be an object; got [{"type":"dense","units":1}]']);
  });
});

describe("one problem per field", () => {
  it.each([
    [-2.5, "-2.5"], [Infinity, "Infinity"], [-Infinity, "-Infinity"], [Number.NaN, "NaN"],
    [2 ** 53, "9007199254740992"],
  ])("units %s", (units, shown) => {
    expect(problems(dense({ units })))
      .toEqual([`layers[0].units must be a positive integer; got ${shown}`]);
  });

  it("alpha NaN and -Infinity", () => {
    expect(problems(dense({ alpha: Number.NaN })))
      .toEqual(["layers[0].alpha must be a finite number; got NaN"]);
    expect(problems(dense({ alpha: -Infinity })))
      .toEqual(["layers[0].alpha must be a finite number; got -Infinity"]);
  });
});

describe("valibot's global configuration", () => {
  it("cannot make parseSpec stop at the first problem", () => {
    v.setGlobalConfig({ abortEarly: true });
    expect(problems({ input: 0, layers: [{ type: "dense", units: 0 }], extra: 1 })).toHaveLength(3);
  });
});

describe("the schemas as valibot schemas", () => {
  it("validate with valibot's own safeParse", () => {
    expect(v.safeParse(modelSpecSchema, { input: 1, layers: [{ type: "dense", units: 2 }] })
      .success).toBe(true);
    const result = v.safeParse(layerSpecSchema, { type: "conv" });
    expect(result.issues?.[0].message).toBe(`must be one of ${LAYER_TYPES}`);
  });
});
