// Sequential: forward as composition, logits before the final activation, outputActivation.
import { type Tensor, add, matmul, relu, sigmoid, softmax, tanh, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { Sequential } from "./sequential.js";

const x = tensor([[0.5, -1, 2], [1, 0, -0.25]], { dtype: "float64" });

function dense(inputSize: number, outputSize: number, activation?: "relu" | "sigmoid"): Dense {
  return new Dense({ inputSize, outputSize, activation, dtype: "float64", seed: inputSize });
}

const affine = (d: Dense, h: Tensor): Tensor => add(matmul(h, d.weight), d.bias!);

describe("Sequential", () => {
  it("forward equals the manual composition", () => {
    const [a, b] = [dense(3, 4, "relu"), dense(4, 2, "sigmoid")];
    const model = new Sequential([a, b]);
    const manual = sigmoid(affine(b, relu(affine(a, x))));
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(manual.data));
    expect([...model.forward(x).shape]).toEqual([2, 2]);
  });

  it("logits() gives the values before the final sigmoid", () => {
    const [a, b] = [dense(3, 4, "relu"), dense(4, 2, "sigmoid")];
    const model = new Sequential([a, b]);
    const logits = model.logits(x);
    expect(Array.from(logits.data)).toEqual(Array.from(affine(b, relu(affine(a, x))).data));
    expect(Array.from(sigmoid(logits).data)).toEqual(Array.from(model.forward(x).data));
    expect(model.outputActivation).toBe("sigmoid");
  });

  it("handles a final Activation layer", () => {
    const a = dense(3, 2);
    const model = new Sequential([a, new Activation("tanh")]);
    expect(model.outputActivation).toBe("tanh");
    expect(Array.from(model.logits(x).data)).toEqual(Array.from(affine(a, x).data));
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(tanh(affine(a, x)).data));
  });

  it("reports identity for a linear output, and logits equal forward", () => {
    const model = new Sequential([dense(3, 4, "relu"), dense(4, 2)]);
    expect(model.outputActivation).toBe("identity");
    expect(Array.from(model.logits(x).data)).toEqual(Array.from(model.forward(x).data));
    const soft = new Sequential([
      new Dense({ inputSize: 3, outputSize: 2, activation: "softmax" }),
    ]);
    expect(soft.outputActivation).toBe("softmax");
    const t = tensor([[1, 2, 3]]);
    expect(Array.from(softmax(soft.logits(t), -1).data)).toEqual(Array.from(soft.forward(t).data));
  });

  it("looks through a nested Sequential at the end", () => {
    const [a, b] = [dense(3, 4, "relu"), dense(4, 2, "sigmoid")];
    const model = new Sequential([a, new Sequential([b])]);
    expect(model.outputActivation).toBe("sigmoid");
    const manual = affine(b, relu(affine(a, x)));
    expect(Array.from(model.logits(x).data)).toEqual(Array.from(manual.data));
  });

  it("an empty Sequential is the identity", () => {
    const model = new Sequential([]);
    expect(model.forward(x)).toBe(x);
    expect(model.logits(x)).toBe(x);
    expect(model.outputActivation).toBe("identity");
  });

  it("names parameters layers.<i>.<name> and rejects non-modules", () => {
    const model = new Sequential([dense(3, 4, "relu"), new Activation("relu"), dense(4, 2)]);
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
    ]);
    expect(() => new Sequential([dense(3, 4), {} as Dense])).toThrow(
      new TypeError("Sequential: layers[1] is not a Module"),
    );
  });
});
