// Unit tests for grad, valueAndGrad and hvp: purity, argnums, higher order, dtypes, training.
import { describe, expect, it } from "vitest";
import { randn, tensor } from "./creation.js";
import { grad, hvp, valueAndGrad } from "./functional.js";
import { add, matmul, mean, mul, pow, sigmoid, square, sub, sum, tanh } from "./ops/all.js";
import { noGrad } from "./tape.js";
import type { Tensor } from "./tensor.js";

const f64 = { dtype: "float64" } as const;
const values = (t: Tensor) => Array.from(t.data);
const cube = (x: Tensor) => sum(pow(x, 3));

describe("grad and valueAndGrad", () => {
  it("compute df/dx and leave every .grad untouched", () => {
    const x = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const w = tensor([2, 2, 2], { ...f64, requiresGrad: true });
    const f = (t: Tensor) => sum(mul(square(t), w));
    expect(values(grad(f)(x))).toEqual([4, 8, 12]);
    const { value, grad: g } = valueAndGrad(f)(x);
    expect(value.item()).toBe(28);
    expect(values(g)).toEqual([4, 8, 12]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
    const plain = valueAndGrad(f)(tensor([1, 2, 3], f64));
    expect(plain.value.requiresGrad).toBe(false);
    expect(plain.grad.requiresGrad).toBe(false);
  });

  it("argnums picks one or several arguments", () => {
    const a = tensor([1, 2], f64);
    const b = tensor([3, 5], f64);
    const f = (p: Tensor, q: Tensor) => sum(mul(mul(p, p), q)); // Σ p²q
    expect(values(grad(f, 1)(a, b))).toEqual([1, 4]);
    const [ga, gb] = grad(f, [0, 1])(a, b);
    expect(values(ga)).toEqual([6, 20]);
    expect(values(gb)).toEqual([1, 4]);
    const both = valueAndGrad(f, [1, 0])(a, b);
    expect(both.value.item()).toBe(23);
    expect(both.grad.map(values)).toEqual([[1, 4], [6, 20]]);
    expect(() => grad(f, 2)(a, b)).toThrow(/grad: argnums 2 is out of range for 2 arguments/);
  });

  it("a function that does not depend on x gives zeros of x's shape", () => {
    const x = tensor([[1, 2], [3, 4]], f64);
    const c = tensor(7, { ...f64, requiresGrad: true });
    const g = grad(() => mul(c, 2))(x);
    expect(g.shape).toEqual([2, 2]);
    expect(values(g)).toEqual([0, 0, 0, 0]);
    expect(values(grad((t: Tensor) => sum(t.detach()))(x))).toEqual([0, 0, 0, 0]);
    expect(values(grad((_t: Tensor, u: Tensor) => sum(u), 0)(x, x))).toEqual([0, 0, 0, 0]);
  });

  it("refuses a non-scalar f", () => {
    expect(() => grad((t: Tensor) => mul(t, 2))(tensor([1, 2], f64))).toThrow(
      /grad: f must return a scalar tensor; got \[2\]/,
    );
  });
});

describe("higher order", () => {
  it("d²/dx² x³ = 6x and d³/dx³ x³ = 6", () => {
    const x = tensor([-1.5, 0.5, 2], f64);
    expect(values(grad(cube)(x))).toEqual([6.75, 0.75, 12]);
    const second = grad((t: Tensor) => sum(grad(cube)(t)));
    expect(values(second(x))).toEqual([-9, 3, 12]);
    const third = grad((t: Tensor) => sum(second(t)));
    expect(values(third(x))).toEqual([6, 6, 6]);
  });

  it("hvp matches finite differences of the gradient (float64)", () => {
    const x = randn([3, 2], { ...f64, seed: 1 });
    const v = randn([3, 2], { ...f64, seed: 2 });
    const f = (t: Tensor) => sum(tanh(matmul(t, tensor([[1, -2], [0.5, 3]], f64))));
    const got = hvp(f, x, v);
    const eps = 1e-5;
    const plus = grad(f)(add(x, mul(v, eps)));
    const minus = grad(f)(sub(x, mul(v, eps)));
    const numeric = values(plus).map((p, i) => (p - minus.data[i]) / (2 * eps));
    expect(got.shape).toEqual([3, 2]);
    values(got).forEach((h, i) => expect(h).toBeCloseTo(numeric[i], 7));
    expect(() => hvp(f, x, randn([2, 3], { ...f64, seed: 3 }))).toThrow(
      /hvp: v must have the shape of x \[3, 2\]; got \[2, 3\]/,
    );
  });
});

describe("dtypes and training", () => {
  it("float32 and float64 gradients agree to 1e-5 relative on an MLP-like expression", () => {
    const make = (dtype: "float32" | "float64") => ({
      x: randn([5, 4], { dtype, seed: 10 }),
      w1: randn([4, 6], { dtype, seed: 11 }),
      w2: randn([6, 3], { dtype, seed: 12 }),
    });
    const f = (x: Tensor, w1: Tensor, w2: Tensor) =>
      mean(sigmoid(matmul(tanh(mul(matmul(x, w1), 0.5)), w2)));
    const g32 = grad(f, [1, 2])(...Object.values(make("float32")));
    const g64 = grad(f, [1, 2])(...Object.values(make("float64")));
    g32.forEach((g, i) => {
      expect(g.dtype).toBe("float32");
      const scale = Math.max(...values(g64[i]).map(Math.abs));
      values(g).forEach((v, e) => {
        expect(Math.abs(v - g64[i].data[e])).toBeLessThanOrEqual(1e-5 * scale);
      });
    });
  });

  it("a 10,000-step training loop on a [4, 4] problem completes and the loss falls", () => {
    const x = randn([8, 4], { seed: 20 });
    const target = matmul(x, randn([4, 4], { seed: 21 }));
    const w = randn([4, 4], { seed: 22, requiresGrad: true });
    const lossOf = () => mean(square(sub(matmul(x, w), target)));
    const initial = lossOf().item();
    let last = initial;
    for (let step = 0; step < 10_000; step++) {
      w.zeroGrad();
      const loss = lossOf();
      loss.backward();
      noGrad(() => w.data.set(sub(w, mul(w.grad!, 0.05)).data));
      last = loss.item();
    }
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(initial * 1e-4);
  }, 30_000); // generous: the suite never asserts on time
});

describe("grad at top level", () => {
  it("does not record a graph even when the argument requires grad", () => {
    const w = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const g = grad((a: Tensor) => a.square().sum())(w);
    expect(Array.from(g.data)).toEqual([2, 4]);
    expect(g.requiresGrad).toBe(false);
    expect(g.node).toBeNull();
    expect(w.grad).toBeNull();
  });
});
