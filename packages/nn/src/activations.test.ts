// Activations by name: values computed by hand, the Activation layer, unknown names.
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { ACTIVATIONS, Activation, type ActivationName, activation } from "./activations.js";

const xs = [-2, -0.5, 0, 1.5];
const x = tensor(xs, { dtype: "float64" });

function values(name: ActivationName, alpha?: number): number[] {
  return Array.from(activation(name, { alpha })(x).data);
}

function expectClose(actual: number[], expected: number[]): void {
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 14));
}

describe("activation", () => {
  it("lists the valid names", () => {
    expect([...ACTIVATIONS]).toEqual([
      "identity", "sigmoid", "tanh", "relu", "leakyRelu", "softmax",
    ]);
  });

  it("identity returns its input", () => {
    expect(activation("identity")(x)).toBe(x);
  });

  it("sigmoid is 1 / (1 + e^−x)", () => {
    expectClose(values("sigmoid"), xs.map((v) => 1 / (1 + Math.exp(-v))));
    expect(values("sigmoid")[2]).toBe(0.5);
  });

  it("tanh", () => {
    expectClose(values("tanh"), [Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(1.5)]);
  });

  it("relu clips negatives (and 0) to 0", () => {
    expect(values("relu")).toEqual([0, 0, 0, 1.5]);
  });

  it("leakyRelu uses slope 0.01 by default, or alpha", () => {
    expectClose(values("leakyRelu"), [-0.02, -0.005, 0, 1.5]);
    expectClose(values("leakyRelu", 0.2), [-0.4, -0.1, 0, 1.5]);
  });

  it("softmax normalises along the last axis", () => {
    const out = activation("softmax")(tensor([[0, Math.log(3)], [1, 1]], { dtype: "float64" }));
    expectClose(Array.from(out.data), [0.25, 0.75, 0.5, 0.5]);
  });

  it("rejects an unknown name, listing the valid ones", () => {
    expect(() => activation("gelu" as ActivationName)).toThrow(
      new RangeError(
        'activation: unknown name "gelu"; valid: identity, sigmoid, tanh, relu, leakyRelu, softmax',
      ),
    );
    expect(() => new Activation("swish" as ActivationName)).toThrow(/unknown name "swish"/);
  });
});

describe("Activation layer", () => {
  it("applies the named function and has no parameters", () => {
    const layer = new Activation("leakyRelu", { alpha: 0.1 });
    expectClose(Array.from(layer.forward(x).data), [-0.2, -0.05, 0, 1.5]);
    expect(layer.name).toBe("leakyRelu");
    expect(layer.parameters()).toEqual([]);
  });
});
