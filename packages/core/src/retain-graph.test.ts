// A backward pass frees the graph it ran: a second pass through it throws unless retained.
import { describe, expect, it } from "vitest";
import { tensor } from "./creation.js";
import { grad, hvp, valueAndGrad } from "./functional.js";
import { mul, sum } from "./ops/all.js";

const f64 = { dtype: "float64" } as const;
const leaf = (values: number[]) => tensor(values, { ...f64, requiresGrad: true });
const FREED = /backward: this graph was already used by an earlier backward pass, which freed it/;

describe("backward frees the graph", () => {
  it("a second backward throws, naming retainGraph, and leaves .grad as it was", () => {
    const x = leaf([1, 2, 3]);
    const y = sum(mul(x, x));
    y.backward();
    expect(() => y.backward()).toThrow(FREED);
    expect(() => y.backward()).toThrow(/"sum" node again\). Pass \{ retainGraph: true \}/);
    expect(x.grad?.toArray()).toEqual([2, 4, 6]); // not doubled
  });

  it("retainGraph keeps the graph for one more pass, which then frees it", () => {
    const x = leaf([1, 2, 3]);
    const y = sum(mul(x, x));
    y.backward({ retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    expect(x.grad?.toArray()).toEqual([4, 8, 12]);
    y.backward();
    expect(x.grad?.toArray()).toEqual([6, 12, 18]);
    expect(() => y.backward()).toThrow(FREED);
    expect(x.grad?.toArray()).toEqual([6, 12, 18]);
  });

  it("createGraph retains the graph, as in PyTorch", () => {
    const x = leaf([1, 2, 3]);
    const y = sum(mul(mul(x, x), x));
    y.backward({ createGraph: true });
    const g = x.grad!;
    x.zeroGrad();
    sum(g).backward(); // through the gradient's graph and the retained forward graph
    expect(x.grad?.toArray()).toEqual([6, 12, 18]); // d(Σ 3x²)/dx = 6x (PyTorch: 6, 12, 18)
    // That pass went through the forward graph's inner mul (the gradient uses x·x) and freed
    // it, so y's graph is gone too — PyTorch throws here as well.
    expect(() => sum(g).backward()).toThrow(FREED);
    expect(() => y.backward()).toThrow(/reached the "mul" node again/);
    expect(x.grad?.toArray()).toEqual([6, 12, 18]);
  });

  it("createGraph alone lets the same loss go backward again", () => {
    const x = leaf([1, 2, 3]);
    const y = sum(mul(mul(x, x), x));
    y.backward({ createGraph: true });
    y.backward();
    expect(x.grad?.toArray()).toEqual([6, 24, 54]);
    expect(() => y.backward()).toThrow(FREED);
  });

  it("two losses sharing a subgraph: the second pass reaching a freed node throws", () => {
    const x = leaf([1, 2, 3]);
    const h = mul(x, x);
    const l1 = sum(h);
    const l2 = sum(mul(h, 3));
    l1.backward();
    expect(() => l2.backward()).toThrow(/reached the "mul" node again/); // h's node
    expect(x.grad?.toArray()).toEqual([2, 4, 6]); // nothing of l2 was accumulated
  });

  it("two losses sharing a subgraph both go through when the first retains", () => {
    const x = leaf([1, 2, 3]);
    const h = mul(x, x);
    sum(h).backward({ retainGraph: true });
    sum(mul(h, 3)).backward();
    expect(x.grad?.toArray()).toEqual([8, 16, 24]); // PyTorch: 8, 16, 24
  });

  it("two losses sharing only a leaf need no retainGraph", () => {
    const x = leaf([1, 2]);
    sum(mul(x, 2)).backward();
    sum(mul(x, 5)).backward();
    expect(x.grad?.toArray()).toEqual([7, 7]);
  });

  it("options are checked: misspelled keys get a did-you-mean", () => {
    const y = sum(mul(leaf([1]), 2));
    expect(() => y.backward({ retain_graph: true } as never))
      .toThrow(/backward: unknown option "retain_graph"; did you mean "retainGraph"\?/);
    expect(() => y.backward({ retainGraph: true } as never, { retainGraph: true }))
      .toThrow(/backward: options given twice/);
    y.backward(1, { retainGraph: true }); // a number gradient and options still work
    y.backward(1);
  });
});

describe("functional transforms and freed graphs", () => {
  it("grad, valueAndGrad and hvp can be called again and again on one function", () => {
    const f = (x: ReturnType<typeof leaf>) => sum(mul(mul(x, x), x));
    const x = tensor([1, 2], f64);
    for (let i = 0; i < 2; i++) {
      expect(grad(f)(x).toArray()).toEqual([3, 12]);
      expect(valueAndGrad(f)(x).value.item()).toBe(9);
      expect(hvp(f, x, tensor([1, 1], f64)).toArray()).toEqual([6, 12]);
      expect(grad(grad((y) => f(y).sum()))(tensor([2], f64)).toArray()).toEqual([12]);
    }
  });

  it("grad runs only what leads to its argument, so a freed graph it closes over is fine", () => {
    const w = leaf([2]);
    const h = mul(w, w); // requires grad; its node is freed by the backward below
    sum(h).backward();
    expect(grad((x) => sum(mul(x, h)))(tensor([1], f64)).toArray()).toEqual([4]);
    expect(w.grad?.toArray()).toEqual([4]);
  });
});
