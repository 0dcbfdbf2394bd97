// Every public options record in nn refuses unknown keys, as a JavaScript caller could pass them.
import { Rng, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Activation, activation } from "./activations.js";
import { Dense } from "./dense.js";
import { initialize } from "./init.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { Adam, AdamW } from "./optim/adam.js";
import { cosineDecay, stepDecay } from "./optim/schedule.js";
import { SGD } from "./optim/sgd.js";
import { Sequential } from "./sequential.js";

// What a JavaScript caller can pass where TypeScript would refuse it.
const js = <T>(value: unknown) => value as T;
const params = () => [tensor([1, 2], { requiresGrad: true })];

describe("optimizers and schedules", () => {
  it("new Adam(params, { lr }) is refused instead of training at 0.001", () => {
    const valid = "Valid options: learningRate, beta1, beta2, eps, weightDecay";
    expect(() => new Adam(params(), js({ lr: 0.01 })))
      .toThrow(`Adam: unknown option "lr"; did you mean "learningRate"? ${valid}`);
    expect(() => new AdamW(params(), js({ learningRate: 0.01, weight_decay: 0.1 })))
      .toThrow(`AdamW: unknown option "weight_decay"; did you mean "weightDecay"? ${valid}`);
    expect(() => new Adam(params(), js({ betas: [0.9, 0.99] })))
      .toThrow(/Adam: unknown option "betas"; did you mean "beta1"\?/);
    expect(new Adam(params(), { learningRate: 0.01 }).learningRate).toBe(0.01);
  });

  it("SGD refuses unknown keys and a missing options record says what is needed", () => {
    expect(() => new SGD(params(), js({ learningRate: 0.1, momentun: 0.9 }))).toThrow(
      'SGD: unknown option "momentun"; did you mean "momentum"? ' +
        "Valid options: learningRate, momentum, nesterov, weightDecay",
    );
    expect(() => new SGD(params(), js(undefined)))
      .toThrow("SGD: learningRate must be a number or a schedule function");
  });

  it("stepDecay and cosineDecay refuse unknown keys", () => {
    expect(() => stepDecay(js({ initial: 0.1, stepSize: 10, gamma: 0.5, step: 3 })))
      .toThrow('stepDecay: unknown option "step"; did you mean "stepSize"? ' +
        "Valid options: initial, stepSize, gamma");
    expect(() => cosineDecay(js({ initial: 0.1, totalSteps: 10, warmup: 2 }))).toThrow(
      'cosineDecay: unknown option "warmup"; did you mean "warmupSteps"? ' +
        "Valid options: initial, totalSteps, minimum, warmupSteps",
    );
    expect(cosineDecay({ initial: 0.1, totalSteps: 10, warmupSteps: 2 })(0)).toBeCloseTo(0.05, 15);
  });
});

describe("layers and initialisers", () => {
  it("Dense refuses unknown keys (in_features → inputSize)", () => {
    expect(() => new Dense(js({ in_features: 2, outputSize: 3 }))).toThrow(
      'Dense: unknown option "in_features"; did you mean "inputSize"? Valid options: ' +
        "inputSize, outputSize, activation, alpha, init, initOptions, biasInit, useBias, rng, " +
        "seed, dtype",
    );
    expect(() => new Dense(js({ inputSize: 2, outputSize: 3, activaton: "relu" })))
      .toThrow(/Dense: unknown option "activaton"; did you mean "activation"\?/);
  });

  it("activation() and Activation refuse unknown keys", () => {
    expect(() => activation("leakyRelu", js({ slope: 0.2 })))
      .toThrow('activation: unknown option "slope"; did you mean "alpha"? Valid options: alpha');
    expect(() => new Activation("leakyRelu", js({ alhpa: 0.2 })))
      .toThrow('Activation: unknown option "alhpa"; did you mean "alpha"? Valid options: alpha');
  });

  it("initialize refuses keys its initialiser does not read, and unknown context keys", () => {
    const ctx = { shape: [2, 2], fanIn: 2, fanOut: 2, rng: new Rng(0) };
    expect(() => initialize("uniform", ctx, js({ std: 0.1 })))
      .toThrow('initialize("uniform"): unknown option "std"; Valid options: low, high');
    expect(() => initialize("heNormal", ctx, { std: 0.1 }))
      .toThrow('initialize("heNormal"): unknown option "std"; Valid options: none');
    expect(() => initialize("normal", js({ ...ctx, fan_in: 2 }), { std: 0.1 }))
      .toThrow(/initialize: unknown option "fan_in"; did you mean "fanIn"\?/);
    const initOptions = js<{ low: number }>({ std: 1 });
    expect(() => new Dense({ inputSize: 2, outputSize: 2, init: "uniform", initOptions }))
      .toThrow('initialize("uniform"): unknown option "std"; Valid options: low, high');
    expect(initialize("constant", ctx, { value: 3 }).toArray()).toEqual([[3, 3], [3, 3]]);
  });

  it("loadStateDict refuses unknown keys; Sequential wants an array", () => {
    const model = new Sequential([new Dense({ inputSize: 1, outputSize: 1 })]);
    expect(() => model.loadStateDict(model.stateDict(), js({ strcit: false })))
      .toThrow('loadStateDict: unknown option "strcit"; did you mean "strict"? ' +
        "Valid options: strict");
    expect(() => new Sequential(js(new Dense({ inputSize: 1, outputSize: 1 }))))
      .toThrow("Sequential: layers must be an array of Modules; got object");
  });
});

describe("safetensors", () => {
  it("decodeSafetensors refuses unknown option keys", () => {
    const bytes = encodeSafetensors({});
    expect(() => decodeSafetensors(bytes, js({ maxHeaderSize: 10 }))).toThrow(
      'decodeSafetensors: unknown option "maxHeaderSize"; did you mean "maxHeaderBytes"? ' +
        "Valid options: maxHeaderBytes",
    );
    expect(decodeSafetensors(bytes, { maxHeaderBytes: 8 }).tensors).toEqual({});
  });
});
