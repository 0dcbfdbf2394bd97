// customOp: values, gradients against finite differences, higher order, anomaly mode,
// compileStep replay, and the refusals (host-computed values under compileStep, bad vjps).
import { describe, expect, it } from "vitest";
import { AnomalyError, detectAnomaly } from "./anomaly.js";
import { compileStep } from "./compile.js";
import { randn, tensor } from "./creation.js";
import { customOp } from "./custom-op.js";
import { grad, hvp } from "./functional.js";
import { sum } from "./ops/all.js";
import { Tensor } from "./tensor.js";
import { gradcheck } from "./testing/gradcheck.js";

const f64 = { dtype: "float64" } as const;

// x³ with its own vjp 3x²·dy.
const cube = customOp({
  name: "cube",
  forward: (x) => x.mul(x).mul(x),
  vjp: (dy, { inputs: [x] }) => [dy.mul(x.square()).mul(3)],
});

// a·b + a, two inputs; the vjp reuses nothing but the inputs.
const mulAdd = customOp({
  name: "mulAdd",
  forward: (a, b) => a.mul(b).add(a),
  vjp: (dy, { inputs: [a, b] }) => [dy.mul(b.add(1)), dy.mul(a)],
});

// exp with a vjp that reuses the output (dy·y), as the built-in does.
const myExp = customOp({
  name: "myExp",
  forward: (x) => x.exp(),
  vjp: (dy, { output }) => [dy.mul(output)],
});

describe("customOp", () => {
  it("computes forward and accumulates its vjp through backward", () => {
    const x = tensor([1, -2, 0.5], { ...f64, requiresGrad: true });
    const y = cube(x);
    expect(y.toArray()).toEqual([1, -8, 0.125]);
    expect(y.node?.op).toBe("cube");
    y.sum().backward();
    expect(x.grad?.toArray()).toEqual([3, 12, 0.75]);
  });

  it("passes gradcheck in float64, with one and two inputs", () => {
    const x = randn([3, 4], { ...f64, seed: 1 });
    expect(gradcheck((t) => cube(t), [x]).checked).toBe(12);
    const a = randn([2, 3], { ...f64, seed: 2 });
    const b = randn([2, 3], { ...f64, seed: 3 });
    expect(gradcheck((p, q) => mulAdd(p, q).tanh(), [a, b]).checked).toBe(12);
    expect(gradcheck((t) => myExp(t).mul(t), [x]).ok).toBe(true);
  });

  it("nests: grad of grad and hvp differentiate the vjp", () => {
    const x = tensor([2, -1], f64);
    const first = grad((t) => cube(t).sum());
    expect(first(x).toArray()).toEqual([12, 3]); // 3x²
    expect(grad((t) => first(t).sum())(x).toArray()).toEqual([12, -6]); // 6x
    const v = tensor([1, 0.5], f64);
    expect(hvp((t) => cube(t).sum(), x, v).toArray()).toEqual([12, -3]); // 6x·v
    // The vjp that reuses the output is differentiable too: d²(eˣ) = eˣ.
    const second = grad((t) => grad((u) => myExp(u).sum())(t).sum())(x);
    expect(second.data[0]).toBeCloseTo(Math.exp(2), 12);
    expect(second.data[1]).toBeCloseTo(Math.exp(-1), 12);
  });

  it("detectAnomaly names the custom op, in forward and in backward", () => {
    const badForward = customOp({
      name: "logOf", forward: (x) => x.log(), vjp: (dy, { inputs: [x] }) => [dy.div(x)],
    });
    expect(() => detectAnomaly(() => badForward(tensor([-1, 2]))))
      .toThrow(/^logOf: forward produced NaN at flat index 0/);
    const badVjp = customOp({
      name: "steep", forward: (x) => x.mul(1), vjp: (dy, { inputs: [x] }) => [dy.div(x)],
    });
    const x = tensor([0, 1], { requiresGrad: true });
    try {
      detectAnomaly(() => badVjp(x).sum().backward());
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AnomalyError);
      expect((error as AnomalyError).op).toBe("steep");
      expect((error as AnomalyError).phase).toBe("backward");
    }
  });

  it("replays under compileStep with the eager values, for new inputs each call", () => {
    const w = randn([3], { seed: 4, requiresGrad: true });
    const loss = (x: Tensor) => sum(cube(x.mul(w)));
    const step = compileStep(loss, [w]);
    for (const seed of [5, 6, 7]) {
      const x = randn([3], { seed });
      const compiled = step(x).item();
      const compiledGrad = Array.from(w.grad!.data);
      w.grad = null;
      const eager = loss(x);
      eager.backward();
      expect(compiled).toBe(eager.item());
      expect(compiledGrad).toEqual(Array.from(w.grad!.data));
      w.grad = null;
    }
    expect(step.traceCount).toBe(1);
  });

  it("is refused by compileStep when forward or vjp computes on the host", () => {
    const hostForward = customOp({
      name: "hostSquare",
      forward: (x) => new Tensor(x.data.map((v) => v * v), x.shape),
      vjp: (dy, { inputs: [x] }) => [dy.mul(x).mul(2)],
    });
    const w = randn([3], { seed: 1, requiresGrad: true });
    expect(() => compileStep((x) => sum(hostForward(x.mul(w))), [w])(randn([3], { seed: 2 })))
      .toThrow("hostSquare: forward returned values that no kernel wrote (computed on the " +
        "host, e.g. in a loop over .data), which compileStep cannot replay");
    const hostVjp = customOp({
      name: "hostGrad",
      forward: (x) => x.square(),
      vjp: (dy, { inputs: [x] }) => [new Tensor(x.data.map((v, i) => 2 * v * dy.data[i]),
        x.shape)],
    });
    expect(() => compileStep((x) => sum(hostVjp(x.mul(w))), [w])(randn([3], { seed: 2 })))
      .toThrow(/^hostGrad: vjp's gradient for input 0 holds values that no kernel wrote/);
    // Eagerly both are fine (nothing is replayed).
    hostForward(x3()).sum();
  });

  it("rejects bad definitions, inputs and vjp results with the op's name", () => {
    expect(() => customOp({ name: "", forward: (x) => x, vjp: () => [] }))
      .toThrow('customOp: name must be a non-empty string; got ""');
    const extra = { name: "f", forward: (x: Tensor) => x, vjp: () => [], grad: 1 };
    expect(() => customOp(extra as never))
      .toThrow('customOp: unknown option "grad"; Valid options: name, forward, vjp');
    expect(() => cube(3 as never)).toThrow("cube: input 0 must be a Tensor; got number");
    const twoGrads = customOp({ name: "two", forward: (x) => x.mul(2), vjp: (dy) => [dy, dy] });
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => twoGrads(x).sum().backward())
      .toThrow("two: vjp must return an array of 1 gradient (one per input, null for none); " +
        "got 2 gradients");
    const wrongShape = customOp({
      name: "wrong", forward: (t) => t.sum(), vjp: (dy) => [dy],
    });
    expect(() => wrongShape(x).backward())
      .toThrow("wrong: vjp returned a gradient of float32 [] for input 0, which is float32 [2]");
  });
});

function x3(): Tensor {
  return tensor([1, 2, 3]);
}
