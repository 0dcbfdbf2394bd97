// Unit tests for tape semantics: accumulation, zeroGrad, noGrad, detach and backward's checks.
import { describe, expect, it } from "vitest";
import { ones, tensor } from "./creation.js";
import { add, mul, sum } from "./ops/all.js";
import { isGradEnabled, noGrad, record, withGradMode } from "./tape.js";

const f64 = { dtype: "float64" } as const;
const leaf = (values: number[]) => tensor(values, { ...f64, requiresGrad: true });

describe("backward accumulates", () => {
  it("two backward calls (the first retaining) give twice the gradient; zeroGrad resets", () => {
    const x = leaf([1, 2, 3]);
    const y = sum(mul(x, x));
    y.backward({ retainGraph: true });
    expect(x.grad?.toArray()).toEqual([2, 4, 6]);
    y.backward({ retainGraph: true });
    expect(x.grad?.toArray()).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    y.backward();
    expect(x.grad?.toArray()).toEqual([2, 4, 6]);
  });

  it("a tensor used twice accumulates both paths", () => {
    const x = leaf([3]);
    sum(add(mul(x, 2), mul(x, 5))).backward();
    expect(x.grad?.toArray()).toEqual([7]);
    const y = leaf([2]);
    const h = mul(y, y); // used by two consumers below
    sum(add(h, mul(h, 3))).backward();
    expect(y.grad?.toArray()).toEqual([16]); // d(4y²)/dy = 8y
  });

  it("only leaves that require grad get .grad", () => {
    const x = leaf([1, 2]);
    const c = tensor([3, 4], f64);
    const h = mul(x, c);
    sum(h).backward();
    expect(x.grad?.toArray()).toEqual([3, 4]);
    expect(h.grad).toBeNull();
    expect(h.isLeaf).toBe(false);
    expect(c.grad).toBeNull();
  });

  it("the stored gradient is off the tape and has the leaf's dtype and shape", () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    sum(mul(x, x)).backward();
    expect(x.grad?.dtype).toBe("float32");
    expect(x.grad?.shape).toEqual([1, 2]);
    expect(x.grad?.requiresGrad).toBe(false);
    expect(x.grad?.node).toBeNull();
  });
});

describe("noGrad and detach", () => {
  it("noGrad results do not require grad and record no node", () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => mul(x, 3));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(y.toArray()).toEqual([3, 6]);
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => isGradEnabled())).toBe(false);
  });

  it("grad mode is restored after a throw", () => {
    expect(() => noGrad(() => { throw new Error("boom"); })).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
    expect(withGradMode(true, () => noGrad(() => withGradMode(true, isGradEnabled)))).toBe(true);
  });

  it("detach cuts the graph and shares the data", () => {
    const x = leaf([2, 3]);
    const h = mul(x, x);
    const d = h.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.node).toBeNull();
    expect(d.data).toBe(h.data);
    sum(add(mul(d, x), x)).backward(); // d is a constant: d(d·x + x)/dx = d + 1
    expect(x.grad?.toArray()).toEqual([5, 10]);
  });
});

describe("backward's checks", () => {
  it("a non-scalar needs a gradient; with one it works", () => {
    const x = leaf([1, 2]);
    const y = mul(x, x);
    expect(() => y.backward()).toThrow(
      /backward: output has shape \[2\]; a non-scalar output needs a gradient argument/,
    );
    expect(() => y.backward(tensor([1, 2, 3], f64))).toThrow(
      /backward: gradient has shape \[3\] but the output has \[2\]/,
    );
    y.backward(tensor([1, 10], f64));
    expect(x.grad?.toArray()).toEqual([2, 40]);
  });

  it("a tensor that does not require grad refuses backward", () => {
    expect(() => tensor(1, f64).backward()).toThrow(/backward: this tensor does not require grad/);
    const x = leaf([1]);
    expect(() => noGrad(() => sum(x)).backward()).toThrow(/does not require grad/);
  });

  it("backward on a leaf seeds it with ones", () => {
    const x = tensor(3, { ...f64, requiresGrad: true });
    x.backward();
    expect(x.grad?.item()).toBe(1);
  });

  it("a vjp returning the wrong shape is caught, naming op, input and shapes", () => {
    const x = leaf([1, 2]);
    const y = record("broken", [x], x.data.slice(), x.shape, () => [ones([3], f64)]);
    expect(() => sum(y).backward()).toThrow(
      "broken: vjp returned a gradient of float64 [3] for input 0, which is float64 [2]",
    );
  });
});
