// Tests that a spec is validated once: parseSpec's result is frozen and trusted by fromSpec,
// a spec around accepted layers has only its top-level fields checked, and limits travel along.
import { afterEach, describe, expect, it, vi } from "vitest";
import { SPEC_LIMITS, fromSpec, parseSpec, parseSpecText, specSchema } from "./spec.js";
import { SpecError } from "./spec-problems.js";
import { topLevelSchema } from "./spec-schema.js";

const json = () => ({
  input: 3, seed: 2, layers: [
    { type: "dense", units: 4, activation: "relu" }, { type: "dense", units: 1 },
  ],
});
// Each validation runs the schema's top-level object once (valibot's "~run").
const counted = () => ({
  full: vi.spyOn(specSchema(), "~run"),
  top: vi.spyOn(topLevelSchema, "~run"),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a spec is validated once", () => {
  it("fromSpec(parseSpec(json)) runs the schema once and keeps the same object", () => {
    const calls = counted();
    const spec = parseSpec(json());
    const model = fromSpec(spec);
    expect(calls.full).toHaveBeenCalledTimes(1);
    expect(calls.top).toHaveBeenCalledTimes(0);
    expect(parseSpec(spec)).toBe(spec);
    expect(model.toSpec()).toEqual(json());
  });

  it("without parseSpec, fromSpec validates (once)", () => {
    const calls = counted();
    fromSpec(json() as Parameters<typeof fromSpec>[0]);
    expect(calls.full).toHaveBeenCalledTimes(1);
  });

  it("a spec around accepted layers checks its top-level fields only", () => {
    const spec = parseSpec(json());
    const calls = counted();
    const reseeded = fromSpec({ ...spec, seed: 9 });
    expect(calls.full).toHaveBeenCalledTimes(0);
    expect(calls.top).toHaveBeenCalledTimes(1);
    expect(reseeded.toSpec()).toEqual({ ...json(), seed: 9 });
    expect(() => fromSpec({ ...spec, seed: 0.5 })).toThrow("seed must be an integer; got 0.5");
    expect(() => fromSpec({ ...spec, input: 0 })).toThrow("input must be a positive integer");
  });

  it("the accepted spec is frozen, so it cannot change after validation", () => {
    const spec = parseSpec(json());
    expect(Object.isFrozen(spec) && Object.isFrozen(spec.layers)).toBe(true);
    expect(Object.isFrozen(spec.layers[0])).toBe(true);
    expect(() => {
      (spec.layers[0] as { units: number }).units = -3;
    }).toThrow(TypeError);
    expect(() => spec.layers.push({ type: "dense", units: 1 })).toThrow(TypeError);
    // A copy is an ordinary object again, validated when used.
    const copy = structuredClone(spec);
    (copy.layers[0] as { units: number }).units = -3;
    expect(() => fromSpec(copy)).toThrow("layers[0].units must be a positive integer; got -3");
  });

  it("parseSpecText's result is trusted the same way", () => {
    const spec = parseSpecText(JSON.stringify(json()));
    const calls = counted();
    fromSpec(spec);
    expect(calls.full).toHaveBeenCalledTimes(0);
  });
});

describe("limits travel with an accepted spec", () => {
  const big = { input: 1000, layers: [{ type: "dense", units: 200 }] } as const; // 200,200

  it("a spec accepted under a raised limit builds without repeating it", () => {
    const spec = parseSpec(big, { maxParameters: 300_000 });
    expect(fromSpec(spec).parameters().reduce((n, p) => n + p.size, 0)).toBe(200_200);
    expect(fromSpec({ ...spec, seed: 1 }).layers).toHaveLength(1);
  });

  it("an explicit lower limit is still enforced on an accepted spec", () => {
    const spec = parseSpec(big);
    expect(() => fromSpec(spec, { maxParameters: 200_199 })).toThrow(
      "fromSpec: invalid model spec (1 problem):\n  layers[0].units makes the model too large: " +
        "200200 parameters with it, over the limit of 200199 (raise the maxParameters option); " +
        "got 200",
    );
    expect(() => parseSpec(spec, { maxLayers: 0.5 })).toThrow(RangeError);
    expect(() => parseSpec({ ...spec, input: 2000 }, { maxParameters: 300_000 }))
      .toThrow("400200 parameters with it");
  });

  it("the default limits are 100 M parameters, 10,000 layers and 16 MiB of text", () => {
    expect(SPEC_LIMITS).toEqual({
      maxParameters: 100_000_000, maxLayers: 10_000, maxBytes: 16_777_216,
    });
  });

  it("fromSpec's errors name fromSpec; its options are checked", () => {
    expect(() => fromSpec({ input: 2, layers: [] })).toThrow(/^fromSpec: invalid model spec/);
    expect(() => fromSpec(json() as never, { maxBytes: 3 } as never))
      .toThrow('fromSpec: unknown option "maxBytes"');
    expect(() => fromSpec(json() as never, { source: "net.json" }))
      .not.toThrow();
    expect(() => fromSpec({ input: 2, layers: [] }, { source: "net.json" }))
      .toThrow(/^net\.json: invalid model spec/);
    expect(() => fromSpec({ input: 2, layers: [] })).toThrow(SpecError);
  });
});
