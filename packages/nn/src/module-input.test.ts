// Every layer and model entry point refuses a non-Tensor input with a message saying what to do.
import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { modelLoss } from "./model-loss.js";
import { Module, checkInput } from "./module.js";
import { Sequential } from "./sequential.js";
import { fromSpec } from "./spec.js";

const js = <T>(value: unknown) => value as T;
const wrap = "got an array (wrap it with tensor())";

describe("non-Tensor inputs", () => {
  const dense = new Dense({ inputSize: 2, outputSize: 1, seed: 1 });
  const model = fromSpec({
    input: 2, layers: [{ type: "dense", units: 1, activation: "sigmoid" }],
  });

  it("Dense: forward and linear", () => {
    expect(() => dense.forward(js([[1, 2]]))).toThrow(`Dense: input must be a Tensor; ${wrap}`);
    expect(() => dense.linear(js([[1, 2]])))
      .toThrow(`Dense.linear: input must be a Tensor; ${wrap}`);
    expect(() => dense.forward(js(new Float32Array(2)))).toThrow(
      "Dense: input must be a Tensor; got a Float32Array (wrap it with tensor(data, shape))",
    );
    expect(() => dense.forward(js(undefined)))
      .toThrow("Dense: input must be a Tensor; got undefined");
    expect(() => dense.forward(js(3)))
      .toThrow("Dense: input must be a Tensor; got the number 3 (wrap it with tensor())");
    expect(() => dense.forward(js({ data: [1, 2] })))
      .toThrow("Dense: input must be a Tensor; got an object");
  });

  it("Activation", () => {
    expect(() => new Activation("relu").forward(js([1])))
      .toThrow(`Activation(relu): input must be a Tensor; ${wrap}`);
  });

  it("Sequential and spec models: forward, logits and modelLoss, naming the class", () => {
    const seq = new Sequential([dense, new Activation("sigmoid")]);
    expect(() => seq.forward(js([[1, 2]]))).toThrow(`Sequential: input must be a Tensor; ${wrap}`);
    expect(() => seq.logits(js([[1, 2]])))
      .toThrow(`Sequential.logits: input must be a Tensor; ${wrap}`);
    expect(() => model.forward(js([[1, 2]]))).toThrow(`Model: input must be a Tensor; ${wrap}`);
    expect(() => modelLoss(model, js([[1, 2]]), tensor([[1]]), "bce"))
      .toThrow(`Model.logits: input must be a Tensor; ${wrap}`);
    expect(model.forward(tensor([[1, 2]])).shape).toEqual([1, 1]); // a Tensor still works
  });

  it("checkInput serves custom modules, inside a Sequential too", () => {
    class Scale extends Module {
      forward(x: ReturnType<typeof tensor>) {
        return checkInput("Scale", x).mul(2);
      }
    }
    expect(() => new Scale().forward(js("x")))
      .toThrow('Scale: input must be a Tensor; got the string "x"');
    expect(new Sequential([new Scale()]).forward(tensor([1])).toArray()).toEqual([2]);
  });

  it("an empty Sequential checks its input too", () => {
    expect(() => new Sequential([]).forward(js([1])))
      .toThrow(`Sequential: input must be a Tensor; ${wrap}`);
  });
});
