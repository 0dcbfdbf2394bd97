// bceLogits: the fused binary cross-entropy on logits against its composite form, its
// gradients (first and second order) and its input checks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { grad } from "../functional.js";
import { gradcheck } from "../testing/gradcheck.js";
import type { Tensor } from "../tensor.js";
import { mul, sub } from "./arithmetic.js";
import { bceLogits } from "./bce.js";
import { softplus } from "./unary.js";

const f64 = { dtype: "float64" } as const;
const composite = (x: Tensor, t: Tensor) => sub(softplus(x), mul(t, x));

describe("bceLogits", () => {
  it("equals softplus(x) − t·x, values and gradients, in float64", () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: -40, max: 40, noNaN: true }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
      (xs, ts) => {
        const t = tensor(ts.slice(0, xs.length), f64);
        const dFused = grad((x: Tensor, tt: Tensor) => bceLogits(x, tt).sum(), [0, 1]);
        const dComposite = grad((x: Tensor, tt: Tensor) => composite(x, tt).sum(), [0, 1]);
        const x = tensor(xs, f64);
        const fused = Array.from(bceLogits(x, t).data);
        const reference = Array.from(composite(x, t).data);
        fused.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 12));
        const [gx, gt] = dFused(x, t);
        const [rx, rt] = dComposite(x, t);
        Array.from(gx.data).forEach((v, i) => expect(v).toBeCloseTo(rx.data[i], 14));
        expect(Array.from(gt.data)).toEqual(Array.from(rt.data));
      },
    ));
  });

  it("passes gradcheck in x and t, and differentiates twice through the tape", () => {
    const x = tensor([-3, -0.5, 0, 0.7, 4], f64);
    const t = tensor([0, 1, 0.5, 1, 0], f64);
    expect(gradcheck((a: Tensor, b: Tensor) => bceLogits(a, b).sum(), [x, t]).ok).toBe(true);
    // d²/dx² of softplus(x) − t·x is σ(x)(1 − σ(x)), whatever t.
    const second = grad((a: Tensor) => grad((b: Tensor) => bceLogits(b, t).sum())(a).sum())(x);
    const s = x.toArray() as number[];
    Array.from(second.data).forEach((v, i) => {
      const p = 1 / (1 + Math.exp(-s[i]));
      expect(v).toBeCloseTo(p * (1 - p), 12);
    });
  });

  it("stays finite at extreme logits, in float32", () => {
    const x = tensor([-1e4, -100, 100, 1e4]);
    const t = tensor([0, 1, 0, 1]);
    expect(Array.from(bceLogits(x, t).data)).toEqual([0, 100, 100, 0]);
    const g = grad((a: Tensor) => bceLogits(a, t).sum())(x);
    expect(Array.from(g.data)).toEqual([0, -1, 1, 0]);
  });

  it("rejects other shapes, and promotes mixed dtypes to float64", () => {
    expect(() => bceLogits(tensor([1, 2]), tensor([[1, 2]])))
      .toThrow("bceLogits: x and t must have one shape; got [2] and [1, 2]");
    const mixed = bceLogits(tensor([0.5]), tensor([1], f64));
    expect(mixed.dtype).toBe("float64");
    expect(mixed.data[0]).toBeCloseTo(Math.log1p(Math.exp(0.5)) - 0.5, 7);
  });
});
