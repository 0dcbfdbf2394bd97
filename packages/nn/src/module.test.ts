// Module: parameter names and order, zeroGrad, train/eval, state dict round trip and errors.
import { type Tensor, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { Module } from "./module.js";
import { Sequential } from "./sequential.js";

function nested(seed: number): Sequential {
  return new Sequential([
    new Dense({ inputSize: 2, outputSize: 3, seed }),
    new Sequential([
      new Dense({ inputSize: 3, outputSize: 4, seed: seed + 1 }),
      new Activation("relu"),
      new Dense({ inputSize: 4, outputSize: 1, useBias: false, seed: seed + 2 }),
    ]),
  ]);
}

/** A custom module with its own parameter and a child, registered in that order. */
class Scaled extends Module {
  readonly scale: Tensor;
  readonly inner: Dense;
  constructor() {
    super();
    this.scale = this.registerParameter("scale", tensor([2]));
    this.inner = this.registerModule("inner", new Dense({ inputSize: 1, outputSize: 1 }));
  }
  forward(x: Tensor): Tensor {
    return this.inner.forward(x).mul(this.scale);
  }
}

describe("Module parameters", () => {
  it("names nested parameters depth first in registration order", () => {
    const model = nested(1);
    const named = model.namedParameters();
    expect(named.map(([name, p]) => [name, [...p.shape]])).toEqual([
      ["layers.0.weight", [2, 3]],
      ["layers.0.bias", [3]],
      ["layers.1.layers.0.weight", [3, 4]],
      ["layers.1.layers.0.bias", [4]],
      ["layers.1.layers.2.weight", [4, 1]],
    ]);
    const inner = model.layers[1] as Sequential;
    expect(named[2][1]).toBe((inner.layers[0] as Dense).weight);
    expect(model.parameters()).toEqual(named.map(([, p]) => p));
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(model.children().map(([name]) => name)).toEqual(["layers.0", "layers.1"]);
  });

  it("puts own parameters before children's, and marks them requiresGrad", () => {
    const m = new Scaled();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["scale", "inner.weight", "inner.bias"]);
    expect(m.scale.requiresGrad).toBe(true);
    expect(m.namedParameters("net.")[0][0]).toBe("net.scale");
  });

  it("zeroGrad clears every gradient backward set", () => {
    const model = nested(1);
    sum(model.forward(tensor([[1, -1], [0.5, 2]]))).backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().map((p) => p.grad)).toEqual([null, null, null, null, null]);
  });
});

describe("Module train/eval", () => {
  it("propagates the mode to every descendant and returns the module", () => {
    const model = nested(1);
    const all = (m: Module): Module[] => [m, ...m.children().flatMap(([, c]) => all(c))];
    expect(all(model)).toHaveLength(6);
    expect(all(model).every((m) => m.training)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(all(model).map((m) => m.training)).toEqual([false, false, false, false, false, false]);
    expect(model.train()).toBe(model);
    expect(all(model).every((m) => m.training)).toBe(true);
    model.train(false);
    expect(all(model).some((m) => m.training)).toBe(false);
  });
});

/** A layer with a parameter and two buffers, as batch norm keeps its running statistics. */
class Counter extends Module {
  readonly scale = this.registerParameter("scale", tensor([2]));
  readonly total = this.registerBuffer("total", tensor([0]));
  readonly steps = this.registerBuffer("steps", tensor(0, { dtype: "float64" }));
  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
}

describe("Module buffers", () => {
  it("are state (in state dicts, PyTorch's order) but not parameters", () => {
    const model = new Sequential([new Counter(), new Sequential([new Counter()])]);
    expect(model.namedParameters().map(([n]) => n))
      .toEqual(["layers.0.scale", "layers.1.layers.0.scale"]);
    expect(model.namedBuffers().map(([n]) => n)).toEqual([
      "layers.0.total", "layers.0.steps", "layers.1.layers.0.total", "layers.1.layers.0.steps",
    ]);
    expect(Object.keys(model.stateDict())).toEqual([
      "layers.0.scale", "layers.0.total", "layers.0.steps",
      "layers.1.layers.0.scale", "layers.1.layers.0.total", "layers.1.layers.0.steps",
    ]);
    expect(model.buffers().every((b) => !b.requiresGrad)).toBe(true);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it("load from a state dict with the parameters, checked the same way", () => {
    const a = new Counter();
    a.total.data[0] = 5;
    a.steps.data[0] = 3;
    const b = new Counter();
    b.loadStateDict(a.stateDict());
    expect([b.total.data[0], b.steps.data[0]]).toEqual([5, 3]);
    const { steps: _, ...noSteps } = a.stateDict();
    expect(() => b.loadStateDict(noSteps)).toThrow("missing [steps], unexpected []");
    expect(() => b.loadStateDict({ ...a.stateDict(), steps: tensor([1]) }))
      .toThrow('"steps" is float64 [] but the state has float32 [1]');

    expect(() => b.loadStateDict({ ...a.stateDict(), steps: [1] as never }))
      .toThrow('loadStateDict: "steps" must be a Tensor; got an array (wrap it with tensor())');
    // A key the model does not have is the caller's business without strict (as PyTorch's).
    b.loadStateDict({ ...a.stateDict(), epoch: 3 as never }, { strict: false });
    expect(() => b.loadStateDict({ ...a.stateDict(), epoch: 3 as never }))
      .toThrow("missing [], unexpected [epoch]");
    expect(() => b.loadStateDict(null as never))
      .toThrow("loadStateDict: state must be an object of tensors by name; got null");
  });
});

describe("Module state dict", () => {
  it("round-trips values into another model, copying rather than sharing", () => {
    const a = nested(1);
    const b = nested(50);
    expect(b.parameters()[0].data).not.toEqual(a.parameters()[0].data);
    const state = a.stateDict();
    expect(Object.keys(state)).toEqual(a.namedParameters().map(([n]) => n));
    expect(state["layers.0.weight"]).toBe(a.parameters()[0]);
    b.loadStateDict(state);
    const values = (m: Module): number[][] => m.parameters().map((p) => Array.from(p.data));
    expect(values(b)).toEqual(values(a));
    a.parameters()[0].data[0] += 1;
    expect(b.parameters()[0].data[0]).not.toBe(a.parameters()[0].data[0]);
    const x = tensor([[0.3, -0.7]]);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
  });

  it("names the parameter and both shapes on a shape mismatch", () => {
    const model = nested(1);
    const state = { ...model.stateDict(), "layers.0.weight": tensor([[1, 2], [3, 4], [5, 6]]) };
    expect(() => model.loadStateDict(state)).toThrow(
      /loadStateDict: "layers.0.weight" is float32 \[2, 3\] but the state has float32 \[3, 2\]/,
    );
    const flat = { ...model.stateDict(), "layers.0.bias": tensor([[1, 2, 3]]) };
    expect(() => model.loadStateDict(flat)).toThrow(/"layers.0.bias" is float32 \[3\] .* \[1, 3\]/);
  });

  it("rejects a dtype mismatch", () => {
    const model = nested(1);
    const bias = tensor([0, 0, 0], { dtype: "float64" });
    expect(() => model.loadStateDict({ ...model.stateDict(), "layers.0.bias": bias })).toThrow(
      /"layers.0.bias" is float32 \[3\] but the state has float64 \[3\]/,
    );
  });

  it("lists missing and unexpected names when strict, and skips them otherwise", () => {
    const model = nested(1);
    const { "layers.0.bias": bias, ...rest } = model.stateDict();
    const state = { ...rest, "layers.9.weight": tensor([1]) };
    expect(() => model.loadStateDict(state)).toThrow(
      "loadStateDict: names do not match; missing [layers.0.bias], unexpected [layers.9.weight]",
    );
    const other = nested(7);
    const before = Array.from(bias.data);
    model.loadStateDict({ "layers.0.weight": other.parameters()[0] }, { strict: false });
    expect(Array.from(model.parameters()[0].data)).toEqual(Array.from(other.parameters()[0].data));
    expect(Array.from(bias.data)).toEqual(before);
  });

  it("changes nothing when any entry is invalid", () => {
    const model = nested(1);
    const before = model.parameters().map((p) => Array.from(p.data));
    const other = nested(3).stateDict();
    other["layers.1.layers.2.weight"] = tensor([1, 2, 3, 4]);
    expect(() => model.loadStateDict(other)).toThrow(/\[4, 1\] but the state has float32 \[4\]/);
    expect(model.parameters().map((p) => Array.from(p.data))).toEqual(before);
  });
});
