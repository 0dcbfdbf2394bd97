// summary(): the table of layers, output shapes and parameter counts; input and output sizes.
import { type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { inputSizeOf, outputSizeOf } from "./model-shape.js";
import { Module } from "./module.js";
import { Sequential } from "./sequential.js";
import { fromSpec, seedSpec } from "./spec.js";
import { summary } from "./summary.js";

class Doubler extends Module {
  forward(x: Tensor): Tensor {
    return x.mul(2);
  }
}

describe("summary", () => {
  it("lists the seed network's layers, shapes and parameter counts", () => {
    expect(fromSpec(seedSpec()).summary()).toBe([
      "layer     type               output shape  parameters",
      "─────────────────────────────────────────────────────",
      "layers.0  Dense (leakyRelu)  [batch, 128]     100,480",
      "layers.1  Dense (leakyRelu)  [batch, 64]        8,256",
      "layers.2  Dense (sigmoid)    [batch, 10]          650",
      "─────────────────────────────────────────────────────",
      "input [batch, 784]; 109,386 parameters (427.3 KiB of float32)",
    ].join("\n"));
  });

  it("expands nested Sequentials and shows parameter-free layers", () => {
    const model = new Sequential([
      new Sequential([new Dense({ inputSize: 3, outputSize: 4, seed: 1 }), new Doubler()]),
      new Activation("tanh"),
      new Dense({ inputSize: 4, outputSize: 2, activation: "softmax", dtype: "float64" }),
    ]);
    const lines = model.summary().split("\n");
    expect(lines.slice(2, 6)).toEqual([
      "layers.0.layers.0  Dense              [batch, 4]            16",
      "layers.0.layers.1  Doubler            [batch, 4]             0",
      "layers.1           Activation (tanh)  [batch, 4]             0",
      "layers.2           Dense (softmax)    [batch, 2]            10",
    ]);
    expect(lines[7]).toBe("input [batch, 3]; 26 parameters (144 B of float32 and float64)");
  });

  it("needs the input shape of a module that does not say it", () => {
    expect(() => summary(new Doubler())).toThrow("summary: this Doubler does not say its input " +
      "size; pass { inputShape: [features] }");
    expect(summary(new Doubler(), { inputShape: [5] }).split("\n")[2])
      .toBe("model  Doubler  [batch, 5]             0");
  });
});

describe("model sizes", () => {
  it("reads the input and output sizes from the layers, or runs the model once", () => {
    const model = new Sequential([new Activation("relu"),
      new Dense({ inputSize: 6, outputSize: 3 }), new Activation("sigmoid")]);
    expect(inputSizeOf(model)).toBe(6);
    expect(outputSizeOf(model)).toBe(3);
    const probed = new Sequential([new Dense({ inputSize: 2, outputSize: 5 }), new Doubler()]);
    expect(outputSizeOf(probed)).toBe(5);
    expect(inputSizeOf(new Doubler())).toBeNull();
    expect(() => outputSizeOf(new Doubler(), "evaluate")).toThrow("evaluate: cannot tell how " +
      "many outputs this Doubler has; give it an inputSize or outputSize property, or use " +
      "Sequential/Dense layers");
  });
});
