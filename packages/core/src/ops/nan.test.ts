// NaN goes through every select-based op as in PyTorch (1.13, checked with torch): values and
// gradients, eagerly, in the fused dense layer (TypeScript and WebAssembly) and in replays.
import { describe, expect, it } from "vitest";
import { compileStep } from "../compile.js";
import { tensor } from "../creation.js";
import type { DType } from "../dtype.js";
import { withGradMode } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { add, maximum, minimum } from "./arithmetic.js";
import { linear } from "./linear.js";
import { matmul } from "./matmul.js";
import { max, min, sum } from "./reduce.js";
import { clamp, leakyRelu, relu } from "./unary.js";

const show = (t: Tensor | null) => Array.from(t!.data);

/**
 * f(x) and d sum(f(x))/dx, eagerly and as a compiled step (twice: traced, then replayed); the
 * three must agree, and the eager pair is returned.
 */
function valueAndGrad(f: (x: Tensor) => Tensor, xs: number[], dtype: DType) {
  const x = tensor(xs, { dtype, requiresGrad: true });
  const eager = withGradMode(true, () => {
    const y = f(x);
    sum(y).backward();
    return [show(y), show(x.grad)];
  });
  const w = tensor(xs, { dtype, requiresGrad: true });
  const step = compileStep(() => {
    const y = f(w);
    return [sum(y), y] as const;
  }, [w]);
  for (let call = 0; call < 2; call++) {
    const [, y] = step();
    expect([show(y), show(w.grad)]).toEqual(eager);
  }
  return eager;
}

describe("NaN propagates as in PyTorch", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`relu: relu(NaN) = NaN, and its gradient passes (a threshold on y) (${dtype})`, () => {
      expect(valueAndGrad(relu, [NaN, -1, 0, -0, 2], dtype)).toEqual([
        [NaN, 0, 0, 0, 2], [1, 0, 0, 0, 1],
      ]);
    });

    it(`leakyRelu: NaN, with the slope as its gradient (${dtype})`, () => {
      const [y, dx] = valueAndGrad((x) => leakyRelu(x, 0.5), [NaN, -2, 3], dtype);
      expect(y).toEqual([NaN, -1, 3]);
      expect(dx).toEqual([0.5, 0.5, 1]);
    });

    it(`clamp: NaN, gradient 0 there (${dtype})`, () => {
      expect(valueAndGrad((x) => clamp(x, -1, 1), [NaN, -2, 0.5, 1], dtype)).toEqual([
        [NaN, -1, 0.5, 1], [0, 0, 1, 1],
      ]);
    });

    it(`maximum and minimum: NaN if either is; both sides get the gradient (${dtype})`, () => {
      const other = tensor([1, NaN, NaN, 1, 5], { dtype });
      for (const op of [maximum, minimum]) {
        const [y, dx] = valueAndGrad((x) => op(x, other), [NaN, 0, NaN, 1, 2], dtype);
        expect(y).toEqual([NaN, NaN, NaN, 1, op === maximum ? 5 : 2]);
        expect(dx).toEqual([1, 1, 1, 0.5, op === maximum ? 0 : 1]);
      }
      const a = tensor([1, 2], { dtype, requiresGrad: true });
      const b = tensor([NaN, 2], { dtype, requiresGrad: true });
      sum(maximum(a, b)).backward();
      expect([show(a.grad), show(b.grad)]).toEqual([[1, 0.5], [1, 0.5]]);
    });

    it(`max and min over axes: NaN wins, and the row's gradient is NaN (amax) (${dtype})`, () => {
      for (const op of [max, min]) {
        const [y, dx] = valueAndGrad((x) => op(x.reshape([2, 2]), 1), [1, NaN, 3, 4], dtype);
        expect(y).toEqual([NaN, op === max ? 4 : 3]);
        expect(dx).toEqual([NaN, NaN, op === max ? 0 : 1, op === max ? 1 : 0]);
      }
    });

    it(`the fused dense layer: relu and leakyRelu of NaN rows, like the separate ops (${dtype})`,
      () => {
        const w = tensor([[1, -1, 0.5], [2, 0.5, -3]], { dtype });
        const b = tensor([0.25, -0.5, 1], { dtype });
        const rows = [NaN, 1, -2, 0.5, 1, 1];
        for (const activation of ["relu", "leakyRelu"] as const) {
          const fused = valueAndGrad((x) =>
            linear(x.reshape([3, 2]), w, b, { activation, slope: 0.1 }), rows, dtype);
          const separate = valueAndGrad((x) => {
            const z = add(matmul(x.reshape([3, 2]), w), b);
            return activation === "relu" ? relu(z) : leakyRelu(z, 0.1);
          }, rows, dtype);
          expect(fused).toEqual(separate);
          expect(fused[0].slice(0, 3)).toEqual([NaN, NaN, NaN]);
        }
      });
  }

  it("the WebAssembly epilogue keeps NaN through relu on a product large enough for it", () => {
    const x = tensor(Array.from({ length: 64 * 32 }, (_, i) => (i === 5 ? NaN : (i % 7) - 3)),
      [64, 32]);
    const w = tensor(Array.from({ length: 32 * 16 }, (_, i) => ((i % 5) - 2) / 4), [32, 16]);
    const y = linear(x, w, null, { activation: "relu" });
    expect(show(y).slice(0, 16).every(Number.isNaN)).toBe(true);
    expect(show(y).slice(16).some(Number.isNaN)).toBe(false);
  });
});
