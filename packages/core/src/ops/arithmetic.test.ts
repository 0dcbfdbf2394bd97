// Hand-computed values and gradients for add sub mul div neg pow square maximum minimum.
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { grad } from "../functional.js";
import { ShapeError } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add, div, maximum, minimum, mul, neg, pow, square, sub } from "./arithmetic.js";

const f64 = { dtype: "float64", requiresGrad: true } as const;
const values = (t: Tensor | null): number[] => Array.from(t!.data);

describe("add", () => {
  it("broadcasts a row over a matrix; the row's gradient sums the upstream columns", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], f64);
    const b = tensor([10, 20, 30], f64);
    const y = add(a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    y.backward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }));
    expect(a.grad!.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(b.grad!.shape).toEqual([3]);
    expect(values(b.grad)).toEqual([5, 7, 9]);
  });

  it("size-1 dimensions on both sides: [2, 1] + [1, 3] gives [2, 3]", () => {
    const a = tensor([[1], [2]], f64);
    const b = tensor([[10, 20, 30]], f64);
    const y = a.add(b);
    expect(y.toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
    y.backward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }));
    expect(a.grad!.toArray()).toEqual([[6], [15]]);
    expect(b.grad!.toArray()).toEqual([[5, 7, 9]]);
  });

  it("a rank-0 scalar tensor broadcasts and gets the sum of the upstream gradient", () => {
    const s = tensor(2, f64);
    const x = tensor([1, 2, 3], f64);
    const y = add(s, x);
    expect(values(y)).toEqual([3, 4, 5]);
    y.backward(tensor([1, -2, 4], { dtype: "float64" }));
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(3);
    expect(values(x.grad)).toEqual([1, -2, 4]);
  });

  it("two rank-0 tensors give a rank-0 result", () => {
    const y = add(tensor(1.5), tensor(2));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(3.5);
  });

  it("takes numbers on either side, in the tensor's dtype", () => {
    const x = tensor([1, 2], f64);
    expect(values(x.add(2))).toEqual([3, 4]);
    expect(add(2, x).dtype).toBe("float64");
    const both = add(2, 3);
    expect(both.item()).toBe(5);
    expect(both.dtype).toBe("float32");
  });

  it("does not modify its inputs", () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    add(a, b);
    expect(values(a)).toEqual([1, 2]);
    expect(values(b)).toEqual([3, 4]);
  });

  it("rejects shapes that do not broadcast, naming both", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([1, 2, 3, 4]);
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow(
      "add: shapes cannot be broadcast together; got [2, 3] and [4]",
    );
    expect(() => mul(b, a)).toThrow(/^mul: shapes cannot be broadcast together; got \[4\] and/);
  });

  it("rejects non-finite numbers and non-tensors with the argument's role", () => {
    const x = tensor([1]);
    expect(() => add(x, NaN)).toThrow(RangeError);
    expect(() => add(x, NaN)).toThrow(/add: b must be a finite number.*got NaN/);
    expect(() => add(Infinity, x)).toThrow(/add: a must be a finite number.*got Infinity/);
    expect(() => add(x, [1] as never)).toThrow(TypeError);
    expect(() => add(x, [1] as never)).toThrow(/add: b must be a Tensor; got an array/);
    expect(() => sub("1" as never, x)).toThrow(/sub: a must be a Tensor; got string/);
    expect(() => mul(x, null as never)).toThrow(/mul: b must be a Tensor; got null/);
  });
});

describe("dtype promotion", () => {
  it("float32 op float64 gives float64; the float32 input's gradient comes back float32", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([0.5, 0.25], f64);
    const y = mul(a, b);
    expect(y.dtype).toBe("float64");
    expect(values(y)).toEqual([0.5, 0.5]);
    y.sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(values(a.grad)).toEqual([0.5, 0.25]);
    expect(b.grad!.dtype).toBe("float64");
    expect(values(b.grad)).toEqual([1, 2]);
  });

  it("a number takes a float32 tensor's dtype", () => {
    expect(sub(1, tensor([3])).dtype).toBe("float32");
  });
});

describe("sub", () => {
  it("a − b with broadcasting; b gets the negated, summed gradient", () => {
    const a = tensor([[5, 6], [7, 8]], f64);
    const b = tensor([[1], [2]], f64);
    const y = sub(a, b);
    expect(y.toArray()).toEqual([[4, 5], [5, 6]]);
    y.backward(tensor([[1, 2], [3, 4]], { dtype: "float64" }));
    expect(a.grad!.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(b.grad!.toArray()).toEqual([[-3], [-7]]);
  });

  it("sub(1, x) with a number on the left", () => {
    const x = tensor([0.25, 2], f64);
    const y = sub(1, x);
    expect(values(y)).toEqual([0.75, -1]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([-1, -1]);
  });
});

describe("mul and div", () => {
  it("mul: d(ab)/da = b, d(ab)/db = a", () => {
    const a = tensor([1, 2, 3], f64);
    const b = tensor([4, 5, 6], f64);
    const y = mul(a, b);
    expect(values(y)).toEqual([4, 10, 18]);
    y.sum().backward();
    expect(values(a.grad)).toEqual([4, 5, 6]);
    expect(values(b.grad)).toEqual([1, 2, 3]);
  });

  it("mul by a number scales the gradient", () => {
    const x = tensor([1, -2], f64);
    const y = x.mul(3);
    expect(values(y)).toEqual([3, -6]);
    y.backward(tensor([1, 10], { dtype: "float64" }));
    expect(values(x.grad)).toEqual([3, 30]);
  });

  it("div: d(a/b)/da = 1/b, d(a/b)/db = −a/b²", () => {
    const a = tensor([1, 2, 3], f64);
    const b = tensor([4, 5, 6], f64);
    const y = div(a, b);
    expect(values(y)).toEqual([0.25, 2 / 5, 0.5]);
    y.sum().backward();
    expect(values(a.grad)).toEqual([0.25, 1 / 5, 1 / 6]);
    const db = values(b.grad);
    [-1 / 16, -2 / 25, -3 / 36].forEach((v, i) => expect(db[i]).toBeCloseTo(v, 15));
  });

  it("div with a number on either side", () => {
    const x = tensor([2, 4], f64);
    expect(values(x.div(2))).toEqual([1, 2]);
    const y = div(8, x);
    expect(values(y)).toEqual([4, 2]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([-2, -0.5]); // −8 / x²
  });

  it("div by zero follows IEEE (±Infinity, NaN for 0/0)", () => {
    expect(values(div(tensor([1, -1, 0]), 0))).toEqual([Infinity, -Infinity, NaN]);
  });
});

describe("neg and square", () => {
  it("neg flips the value and the gradient", () => {
    const x = tensor([1.5, -2, 0], f64);
    const y = neg(x);
    expect(values(y)).toEqual([-1.5, 2, -0]);
    y.backward(tensor([1, 2, 3], { dtype: "float64" }));
    expect(values(x.grad)).toEqual([-1, -2, -3]);
  });

  it("square: x², gradient 2x", () => {
    const x = tensor([-3, 0.5, 0], f64);
    const y = square(x);
    expect(values(y)).toEqual([9, 0.25, 0]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([-6, 1, 0]);
  });

  it("reject non-tensors", () => {
    expect(() => neg(5 as never)).toThrow(/neg: x must be a Tensor; got number/);
    expect(() => square([1] as never)).toThrow(/square: x must be a Tensor; got an array/);
  });
});

describe("pow", () => {
  it("tensor exponent: d/da = b·a^(b−1), d/db = a^b·ln a", () => {
    const a = tensor([2, 3], f64);
    const b = tensor([3, 2], f64);
    const y = pow(a, b);
    expect(values(y)).toEqual([8, 9]);
    y.sum().backward();
    expect(values(a.grad)).toEqual([12, 6]);
    const db = values(b.grad);
    expect(db[0]).toBeCloseTo(8 * Math.LN2, 14);
    expect(db[1]).toBeCloseTo(9 * Math.log(3), 14);
  });

  it("masks the base's gradient where b = 0 after the product with dy, as PyTorch", () => {
    // torch 1.13: pow(x=[2, 0], y=[0, 0]).backward([inf, nan]) gives x.grad [0, 0] and
    // y.grad [inf, nan]; second derivatives in the base likewise (values from torch 1.13).
    const x = tensor([2, 0], f64).requireGrad();
    const y = tensor([0, 0], f64).requireGrad();
    pow(x, y).backward(tensor([Infinity, NaN], f64));
    expect(values(x.grad)).toEqual([0, 0]);
    expect(values(y.grad)).toEqual([Infinity, NaN]);
    const e = tensor([2, 0, 3, 1, 0.5, 0], f64);
    const second = grad((a: Tensor) => grad((t: Tensor) => pow(t, e).sum())(a).sum());
    expect(values(second(tensor([0, 2, -1, 0, 4, 0], f64)))).toEqual(
      [2, -0, -6, 0, -0.03125, NaN]);
  });

  it("number exponent: x³ on both signs, gradient 3x²", () => {
    const x = tensor([1, 2, -2], f64);
    const y = x.pow(3);
    expect(values(y)).toEqual([1, 8, -8]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([3, 12, 12]);
  });

  it("exponent 0 gives ones and a zero gradient, even at x = 0", () => {
    const x = tensor([0, 5], f64);
    const y = pow(x, 0);
    expect(values(y)).toEqual([1, 1]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([0, 0]);
  });

  it("fractional exponent: √4 = 2 with gradient ¼", () => {
    const x = tensor([4], f64);
    const y = pow(x, 0.5);
    expect(values(y)).toEqual([2]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([0.25]);
  });

  it("number base: 2^x, gradient 2^x·ln 2", () => {
    const x = tensor([1, 3], f64);
    const y = pow(2, x);
    expect(values(y)).toEqual([2, 8]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([2 * Math.LN2, 8 * Math.LN2]);
  });

  it("rejects a non-finite exponent", () => {
    expect(() => pow(tensor([1]), NaN)).toThrow(/pow: b must be a finite number/);
  });
});

describe("maximum and minimum", () => {
  it("route the gradient to the winner; ties split it ½/½", () => {
    const a = tensor([1, 5, 3], f64);
    const b = tensor([4, 2, 3], f64);
    const hi = maximum(a, b);
    expect(values(hi)).toEqual([4, 5, 3]);
    hi.backward(tensor([10, 20, 30], { dtype: "float64" }));
    expect(values(a.grad)).toEqual([0, 20, 15]);
    expect(values(b.grad)).toEqual([10, 0, 15]);
    a.zeroGrad();
    b.zeroGrad();
    const lo = minimum(a, b);
    expect(values(lo)).toEqual([1, 2, 3]);
    lo.backward(tensor([10, 20, 30], { dtype: "float64" }));
    expect(values(a.grad)).toEqual([10, 0, 15]);
    expect(values(b.grad)).toEqual([0, 20, 15]);
  });

  it("maximum(x, 0) with a number: like relu, but ½ at the tie x = 0", () => {
    const x = tensor([-1, 0, 2], f64);
    const y = maximum(x, 0);
    expect(values(y)).toEqual([0, 0, 2]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([0, 0.5, 1]);
  });

  it("broadcast: a scalar competing with a vector sums its share", () => {
    const s = tensor(2, f64);
    const x = tensor([1, 2, 3], f64);
    const y = minimum(s, x);
    expect(values(y)).toEqual([1, 2, 2]);
    y.sum().backward();
    expect(s.grad!.item()).toBe(1.5); // 0 + ½ + 1
    expect(values(x.grad)).toEqual([1, 0.5, 0]);
  });
});

describe("float32 and float64 paths agree", () => {
  it("every binary op to 1e-5 relative on the same inputs", () => {
    const a = [0.5, -1.25, 2, 3.5, -0.75, 1];
    const b = [1.5, 0.25, -2, 0.5, 1.75, 3];
    const close = (y32: Tensor, y64: Tensor): void => {
      expect(y32.dtype).toBe("float32");
      expect(y64.dtype).toBe("float64");
      y64.data.forEach((v, i) => {
        expect(Math.abs(y32.data[i] - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v));
      });
    };
    for (const op of [add, sub, mul, div, maximum, minimum]) {
      close(op(tensor(a), tensor(b)), op(tensor(a, f64), tensor(b, f64)));
    }
    const base = a.map(Math.abs);
    close(pow(tensor(base), tensor(b)), pow(tensor(base, f64), tensor(b, f64)));
    close(pow(tensor(a), 3), pow(tensor(a, f64), 3));
  });
});
