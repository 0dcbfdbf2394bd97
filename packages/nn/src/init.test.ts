// Initialisers: shapes, exact constants, bounds, variance over large draws, determinism.
import { Rng } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { INITIALIZERS, type InitContext, type InitName, initialize } from "./init.js";

function ctx(shape: number[], seed = 0): InitContext {
  return { shape, fanIn: shape[0], fanOut: shape[1] ?? shape[0], rng: new Rng(seed) };
}

function moments(data: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  const mean = s / data.length;
  let q = 0;
  for (let i = 0; i < data.length; i++) q += (data[i] - mean) ** 2;
  return { mean, variance: q / data.length };
}

function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
  return m;
}

describe("initialize", () => {
  it("gives every initializer's tensor the requested shape and dtype", () => {
    for (const name of INITIALIZERS) {
      const t = initialize(name, ctx([4, 3]));
      expect([...t.shape]).toEqual([4, 3]);
      expect(t.dtype).toBe("float32");
      const t64 = initialize(name, { ...ctx([5]), dtype: "float64" });
      expect([...t64.shape]).toEqual([5]);
      expect(t64.dtype).toBe("float64");
    }
  });

  it("fills zeros and constants exactly", () => {
    expect(Array.from(initialize("zeros", ctx([2, 2])).data)).toEqual([0, 0, 0, 0]);
    const c = initialize("constant", ctx([3]), { value: 0.25 });
    expect(Array.from(c.data)).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(initialize("constant", ctx([2])).data)).toEqual([0, 0]);
  });

  it("keeps uniform draws in [low, high), by default [−0.05, 0.05)", () => {
    const d = initialize("uniform", ctx([100, 100])).data;
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...d)).toBeLessThan(0.05);
    const c = initialize("uniform", ctx([100, 100]), { low: 2, high: 3 }).data;
    expect(Math.min(...c)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...c)).toBeLessThanOrEqual(3);
    expect(moments(c).mean).toBeCloseTo(2.5, 2);
  });

  it("draws normal with the given mean and std", () => {
    const t = initialize("normal", ctx([500, 200]), { mean: 1, std: 2 });
    const { mean, variance } = moments(t.data);
    expect(mean).toBeCloseTo(1, 1);
    expect(Math.abs(variance / 4 - 1)).toBeLessThan(0.03);
  });

  it("bounds the uniform variants by √(3·Var)", () => {
    const glorot = initialize("glorotUniform", ctx([60, 40])).data;
    expect(maxAbs(glorot)).toBeLessThanOrEqual(Math.sqrt(6 / 100));
    expect(maxAbs(glorot)).toBeGreaterThan(0.95 * Math.sqrt(6 / 100));
    const he = initialize("heUniform", ctx([60, 40])).data;
    expect(maxAbs(he)).toBeLessThanOrEqual(Math.sqrt(6 / 60));
    expect(maxAbs(he)).toBeGreaterThan(0.95 * Math.sqrt(6 / 60));
  });

  it.each([
    ["glorotUniform", 2 / 1500],
    ["glorotNormal", 2 / 1500],
    ["heUniform", 2 / 1000],
    ["heNormal", 2 / 1000],
  ] as Array<[InitName, number]>)("%s has variance within 3%% of %f over [1000, 500]", (n, v) => {
    const { mean, variance } = moments(initialize(n, ctx([1000, 500], 7)).data);
    expect(Math.abs(variance / v - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean)).toBeLessThan(0.01 * Math.sqrt(v));
  });

  it("is deterministic for a seed and advances a shared generator", () => {
    for (const name of ["uniform", "normal", "glorotUniform", "heNormal"] as const) {
      const a = initialize(name, ctx([8, 4], 3)).data;
      expect(Array.from(initialize(name, ctx([8, 4], 3)).data)).toEqual(Array.from(a));
      expect(Array.from(initialize(name, ctx([8, 4], 4)).data)).not.toEqual(Array.from(a));
    }
    const shared = ctx([8, 4], 3);
    const first = Array.from(initialize("heNormal", shared).data);
    expect(Array.from(initialize("heNormal", shared).data)).not.toEqual(first);
  });

  it("rejects an unknown name, listing the valid ones", () => {
    expect(() => initialize("xavier" as InitName, ctx([2, 2]))).toThrow(
      new RangeError(
        'initialize: unknown initializer "xavier"; valid: zeros, constant, uniform, normal, ' +
          "glorotUniform, glorotNormal, heUniform, heNormal",
      ),
    );
  });
});
