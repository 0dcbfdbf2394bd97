// Tensor factories: values, shapes, dtypes, options, errors, and seeded random draws.
import { describe, expect, it } from "vitest";
import {
  arange, eye, full, ones, onesLike, rand, randn, tensor, uniform, zeros, zerosLike,
} from "./creation.js";
import { Rng } from "./random.js";
import { ShapeError } from "./shape.js";
import type { Tensor } from "./tensor.js";

const values = (t: Tensor): number[] => Array.from(t.data);

describe("tensor", () => {
  it("from a number: a rank-0 float32 tensor", () => {
    const t = tensor(3);
    expect(t.shape).toEqual([]);
    expect(t.size).toBe(1);
    expect(t.dtype).toBe("float32");
    expect(t.item()).toBe(3);
    expect(t.toArray()).toBe(3);
  });

  it("from nested arrays, row-major", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(values(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor([]).shape).toEqual([0]);
  });

  it("from a typed array plus a shape; a Float64Array defaults to float64", () => {
    const t = tensor(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(t.dtype).toBe("float64");
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor(Float32Array.of(1, 2)).dtype).toBe("float32");
    expect(tensor(Float64Array.of(1, 2), { dtype: "float32" }).dtype).toBe("float32");
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it("copies its input: later writes to the source do not show", () => {
    const source = Float32Array.of(1, 2);
    const t = tensor(source);
    source[0] = 99;
    expect(values(t)).toEqual([1, 2]);
  });

  it("stores float32 values rounded, float64 values exactly", () => {
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
    expect(tensor([0.1], { dtype: "float64" }).data[0]).toBe(0.1);
  });

  it("requiresGrad makes a leaf that backward reaches; the default is off", () => {
    expect(tensor([1]).requiresGrad).toBe(false);
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
    x.mul(x).sum().backward();
    expect(values(x.grad!)).toEqual([2, 4]);
    expect(tensor([1, 2], [2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("rejects ragged nested arrays", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(
      /tensor: nested arrays are ragged; expected length 2 at depth 1/,
    );
    expect(() => tensor([1, [2]])).toThrow(/tensor: nested arrays are ragged/);
    expect(() => tensor([[1], 2])).toThrow(/tensor: nested arrays are ragged/);
  });

  it("rejects a shape that does not match the number of values", () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(
      "tensor: 3 values do not fill shape [2, 2] (4 elements)",
    );
    expect(() => tensor([1, 2], [-2, -1])).toThrow(/tensor: shape must hold non-negative/);
  });

  it("rejects non-numbers and unknown dtypes", () => {
    expect(() => tensor(["a"] as never)).toThrow(TypeError);
    expect(() => tensor([[1], ["a"]] as never)).toThrow(
      "tensor: nested arrays must hold numbers; got string",
    );
    expect(() => tensor({ length: 1, 0: "a" } as never)).toThrow(
      /tensor: element 0 is string, not a number/,
    );
    expect(() => tensor("abc" as never)).toThrow(TypeError);
    expect(() => tensor([1], { dtype: "int32" as never })).toThrow(
      'tensor: dtype must be "float32" or "float64"; got "int32"',
    );
  });
});

describe("filled tensors", () => {
  it("zeros, ones and full, in float32 unless asked", () => {
    expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(zeros([2]).dtype).toBe("float32");
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    const f = full([2], 7.5, { dtype: "float64" });
    expect(f.dtype).toBe("float64");
    expect(values(f)).toEqual([7.5, 7.5]);
    expect(zeros([]).shape).toEqual([]);
    expect(ones([], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("zerosLike and onesLike copy shape and dtype", () => {
    const x = tensor([[1, 2]], { dtype: "float64" });
    expect(zerosLike(x).shape).toEqual([1, 2]);
    expect(zerosLike(x).dtype).toBe("float64");
    expect(values(onesLike(x))).toEqual([1, 1]);
  });

  it("shape errors name the factory that was called", () => {
    expect(() => zeros([2, -1])).toThrow(ShapeError);
    expect(() => zeros([2, -1])).toThrow(
      "zeros: shape must hold non-negative integers; got [2, -1]",
    );
    expect(() => ones([1.5])).toThrow(/^ones: shape/);
    expect(() => full([-1], 0)).toThrow(/^full: shape/);
  });
});

describe("arange and eye", () => {
  it("arange(stop), arange(start, stop, step), negative steps and empty ranges", () => {
    expect(values(arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(values(arange(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(values(arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(arange(3, 1).shape).toEqual([0]);
    expect(arange(0, 3, 1, { dtype: "float64" }).dtype).toBe("float64");
  });

  it("arange rejects a zero or non-finite step", () => {
    expect(() => arange(0, 1, 0)).toThrow(RangeError);
    expect(() => arange(0, 1, 0)).toThrow(/arange: .*step non-zero; got 0, 1, 0/);
    expect(() => arange(0, Infinity)).toThrow(/arange:/);
  });

  it("eye(n) and eye(n, m)", () => {
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(3, 2).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
    expect(() => eye(-1)).toThrow(/eye: shape/);
  });
});

describe("random factories", () => {
  it("the same seed gives the same values; a different seed gives different ones", () => {
    for (const draw of [
      (seed: number) => rand([50], { seed }),
      (seed: number) => randn([50], { seed }),
      (seed: number) => uniform([50], -1, 1, { seed }),
    ]) {
      expect(values(draw(7))).toEqual(values(draw(7)));
      expect(values(draw(7))).not.toEqual(values(draw(8)));
    }
  });

  it("require a seed or an rng, not both", () => {
    expect(() => rand([2], {} as never)).toThrow(TypeError);
    expect(() => rand([2], {} as never)).toThrow(
      "rand: a seed (or rng) is required so results are reproducible",
    );
    expect(() => randn([2], {} as never)).toThrow(/randn: a seed/);
    expect(() => uniform([2], 0, 1, {} as never)).toThrow(/uniform: a seed/);
    expect(() => rand([2], { seed: 1, rng: new Rng(1) })).toThrow(
      /rand: pass either seed or rng, not both/,
    );
  });

  it("an rng option advances the given generator: two draws continue one stream", () => {
    const rng = new Rng(3);
    const first = rand([4], { rng });
    const second = rand([4], { rng });
    expect(values(first)).not.toEqual(values(second));
    expect([...values(first), ...values(second)]).toEqual(values(rand([8], { seed: 3 })));
  });

  it("rand lies in [0, 1); dtype, shape and requiresGrad options apply", () => {
    const r = rand([10, 100], { seed: 2, dtype: "float64", requiresGrad: true });
    expect(r.shape).toEqual([10, 100]);
    expect(r.dtype).toBe("float64");
    expect(r.requiresGrad).toBe(true);
    expect(values(r).every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it("randn has mean ≈ 0 and std ≈ 1 over 100k draws (within 0.01, about 3σ)", () => {
    const x = values(randn([100_000], { seed: 11, dtype: "float64" }));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    // Standard errors: 1/√n ≈ 0.0032 for the mean, 1/√(2n) ≈ 0.0022 for the std.
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it("uniform stays within [low, high) and covers the range", () => {
    const x = values(uniform([10_000], -3, 5, { seed: 4, dtype: "float64" }));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...x)).toBeLessThan(5);
    expect(Math.min(...x)).toBeLessThan(-2.99);
    expect(Math.max(...x)).toBeGreaterThan(4.99);
    expect(values(uniform([3], 2, 2, { seed: 0 }))).toEqual([2, 2, 2]);
  });

  it("uniform rejects reversed or non-finite bounds", () => {
    expect(() => uniform([2], 1, 0, { seed: 0 })).toThrow(RangeError);
    expect(() => uniform([2], 1, 0, { seed: 0 })).toThrow(
      "uniform: need finite low ≤ high; got low 1, high 0",
    );
    expect(() => uniform([2], 0, Infinity, { seed: 0 })).toThrow(/uniform: need finite/);
  });
});
