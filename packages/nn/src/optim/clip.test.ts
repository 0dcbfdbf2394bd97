// Gradient clipping: global norm and value, as functions and as optimizer options (also with
// compiled steps), against values worked by hand.
import { Tensor, compileStep, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { clipGradNorm, clipGradValue } from "./clip.js";
import { Adam } from "./adam.js";
import { SGD } from "./sgd.js";

/** Parameters with gradients set by hand. */
function withGrads(...grads: number[][]): Tensor[] {
  return grads.map((g) => {
    const p = tensor(g.map(() => 0), { dtype: "float64", requiresGrad: true });
    p.grad = tensor(g, { dtype: "float64" });
    return p;
  });
}

describe("clipGradNorm", () => {
  it("scales all gradients together to the norm, returning the norm before", () => {
    const params = withGrads([3, 0], [0, 4]); // global norm 5
    expect(clipGradNorm(params, 1)).toBe(5);
    const scale = 1 / (5 + 1e-6); // PyTorch's maxNorm / (norm + 1e-6)
    expect(params[0].grad?.toArray()).toEqual([3 * scale, 0]);
    expect(params[1].grad?.toArray()).toEqual([0, 4 * scale]);
  });

  it("leaves gradients under the norm as they are, and skips parameters without one", () => {
    const params = withGrads([0.3, 0.4]);
    const before = params[0].grad;
    const bare = tensor([1], { requiresGrad: true });
    expect(clipGradNorm([...params, bare], 1)).toBeCloseTo(0.5, 15);
    expect(params[0].grad).toBe(before);
    expect(bare.grad).toBeNull();
  });

  it("never scales in place: a gradient shared by two parameters is scaled once each", () => {
    const shared = tensor([6, 8], { dtype: "float64" });
    const [a, b] = withGrads([0, 0], [0, 0]);
    a.grad = shared;
    b.grad = shared; // as the tape hands one tensor to both inputs of an add
    expect(clipGradNorm([a, b], 5)).toBeCloseTo(Math.sqrt(200), 12);
    expect(shared.toArray()).toEqual([6, 8]);
    const scale = 5 / (Math.sqrt(200) + 1e-6);
    expect(a.grad?.toArray()).toEqual([6 * scale, 8 * scale]);
    expect(b.grad?.toArray()).toEqual([6 * scale, 8 * scale]);
  });

  it("makes every gradient NaN for a NaN norm, or throws with errorIfNonfinite", () => {
    const params = withGrads([Number.NaN, 1], [2]);
    expect(clipGradNorm(params, 1)).toBeNaN();
    expect(params.every((p) => p.grad?.data.every(Number.isNaN))).toBe(true);
    expect(() => clipGradNorm(withGrads([Infinity]), 1, { errorIfNonfinite: true }))
      .toThrow("clipGradNorm: the total gradient norm is Infinity; the gradients hold NaN or Inf");
    expect(() => clipGradNorm(params, 0)).toThrow("clipGradNorm: maxNorm must be a positive " +
      "number; got 0");
    expect(() => clipGradNorm(params, 1, { errorIfNonFinite: true } as never))
      .toThrow(/did you mean "errorIfNonfinite"\?/);
  });
});

describe("clipGradValue", () => {
  it("clamps each value into [−v, v], keeping NaN", () => {
    const params = withGrads([-3, 0.2, 5, Number.NaN]);
    clipGradValue(params, 1);
    expect(params[0].grad?.toArray()).toEqual([-1, 0.2, 1, Number.NaN]);
    expect(() => clipGradValue(params, -1)).toThrow(/clipValue must be a positive number; got -1/);
  });
});

describe("clipping as an optimizer option", () => {
  it("SGD with clipGradNorm takes the clipped step; Adam with clipGradValue too", () => {
    const [p] = withGrads([3, 4]);
    new SGD([p], { learningRate: 1, clipGradNorm: 1 }).step();
    const scale = 1 / (5 + 1e-6);
    expect(p.toArray()).toEqual([-3 * scale, -4 * scale]);
    const [q] = withGrads([10, -0.001]);
    const [r] = withGrads([1, -0.001]);
    new Adam([q], { learningRate: 0.1, clipGradValue: 1 }).step();
    new Adam([r], { learningRate: 0.1 }).step();
    expect(q.toArray()).toEqual(r.toArray());
    expect(() => new SGD([p], { learningRate: 1, clipGradNorm: -2 }))
      .toThrow("SGD: clipGradNorm must be a positive number; got -2");
    expect(() => new Adam([p], { clipgradnorm: 1 } as never))
      .toThrow(/^Adam: unknown option "clipgradnorm"; did you mean "clipGradNorm"\?/);
    expect(() => new SGD([p], { lr: 0.1 } as never))
      .toThrow(/^SGD: unknown option "lr"; did you mean "learningRate"\?/);
  });

  it("works on a compiled step's gradients and leaves the next replay exact", () => {
    const run = (compiled: boolean) => {
      const w = tensor([0.5, -1, 2], { requiresGrad: true });
      const loss = (x: Tensor) => sum(x.mul(w).square());
      const step = compiled ? compileStep(loss, [w]) : (x: Tensor) => {
        const l = loss(x);
        l.backward();
        return l;
      };
      const optimizer = new SGD([w], { learningRate: 0.1, clipGradNorm: 0.5 });
      const losses: number[] = [];
      for (const x of [[1, 2, 3], [3, 1, 2], [1, 2, 3], [2, 2, 2]]) {
        optimizer.zeroGrad();
        losses.push(step(tensor(x)).item());
        optimizer.step();
      }
      return [losses, Array.from(w.data)];
    };
    expect(run(true)).toEqual(run(false));
  });
});
