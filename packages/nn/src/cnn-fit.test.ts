// fit, evaluate, summary and diagnose on a CNN with batch norm and dropout: compiled and eager
// training agree bit for bit, modes switch and come back, and nothing that only looks at the
// model (evaluate, summary, diagnose) moves its running statistics or its dropout masks.
import { Rng, Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import type { BatchNorm2d } from "./batch-norm.js";
import { diagnose } from "./diagnose.js";
import { evaluate } from "./evaluate.js";
import { fit } from "./fit.js";
import { registerLayers } from "./layer-registry.js";
import type { Module } from "./module.js";
import { Adam } from "./optim/adam.js";
import { type Model, fromSpec } from "./spec.js";
import { SPEC_LAYERS } from "./spec-layers.js";
import type { ModelSpec } from "./spec-schema.js";

registerLayers(...SPEC_LAYERS); // as @tapegrad/nn's main entry does

/** 8×8 images with a bright 3×3 blob in the left (class 0) or right (class 1) half, noisy. */
function blobImages(n: number, seed: number): { x: Tensor; y: number[] } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 64);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const top = rng.int(6);
    const left = label === 0 ? rng.int(2) : 3 + rng.int(3);
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.2 * rng.uniform();
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) x[i * 64 + (top + r) * 8 + left + c] += 0.8;
    }
    y.push(label);
  }
  return { x: new Tensor(x, [n, 1, 8, 8]), y };
}

const spec: ModelSpec = {
  input: [1, 8, 8], seed: 5,
  layers: [
    { type: "conv2d", outChannels: 4, kernelSize: 3, padding: 1, activation: "relu",
      init: "heNormal" },
    { type: "batchNorm2d" },
    { type: "maxPool2d", kernelSize: 2 },
    { type: "flatten" },
    { type: "dropout", p: 0.25 },
    { type: "dense", units: 2 },
  ],
};

/** Every number training changes: parameters, buffers, the dropout generator. */
function stateOf(model: Model): number[][] {
  return [...model.namedState().map(([, t]) => Array.from(t.data)),
    [...model.dropoutRng.getState().s]];
}

const bn = (model: Model) => model.layers[1] as BatchNorm2d;

describe("fit on a CNN with batch norm and dropout", { timeout: 120_000 }, () => {
  const train = blobImages(96, 1);
  const validation = blobImages(40, 2);

  it("gives the same bits compiled and eager: losses, weights, statistics, masks", async () => {
    const run = async (compile: boolean) => {
      const model = fromSpec(spec);
      const history = await fit(model, train, {
        epochs: 2, batchSize: 16, seed: 3, compile, validationData: validation,
        optimizer: new Adam(model.parameters(), { learningRate: 0.01 }),
      });
      return { history, state: stateOf(model), model };
    };
    const eager = await run(false);
    const compiled = await run(true);
    expect(compiled.history.stepLosses).toEqual(eager.history.stepLosses);
    expect(compiled.history.epochs.map((e) => e.validationLoss))
      .toEqual(eager.history.epochs.map((e) => e.validationLoss));
    expect(compiled.state).toEqual(eager.state);
    // The statistics moved once per step, on every replay of the compiled step.
    expect(bn(compiled.model).numBatchesTracked!.data[0]).toBe(12);
    expect(Array.from(bn(compiled.model).runningVar!.data)).not.toEqual([1, 1, 1, 1]);
  });

  it("learns the task, in training mode for the steps; the caller's modes come back", async () => {
    const model = fromSpec(spec);
    model.eval();
    const modes: boolean[] = [];
    await fit(model, train, {
      epochs: 8, batchSize: 16, seed: 4, validationData: validation,
      optimizer: new Adam(model.parameters(), { learningRate: 0.02 }),
      onStep: () => modes.push(model.training && model.layers.every((l) => l.training)),
    });
    expect(modes.every(Boolean)).toBe(true);
    expect(model.training).toBe(false);
    expect(model.layers.every((l: Module) => !l.training)).toBe(true);
    const test = evaluate(model, blobImages(100, 9));
    expect(test.accuracy).toBeGreaterThan(0.9);
  });

  it("evaluate, summary and diagnose move no statistic and draw no mask", () => {
    const model = fromSpec(spec);
    const before = stateOf(model);
    expect(evaluate(model, validation).count).toBe(40);
    expect(model.training).toBe(true); // put back
    const table = model.summary();
    expect(table).toContain("[batch, 4, 4, 4]");
    expect(table).toContain("layers.0  Conv2d (relu)");
    expect(table).toContain("9 buffer values (running statistics)");
    const findings = diagnose(model, { x: validation.x, y: new Tensor(
      Float32Array.from(validation.y), [40]) }, { loss: "crossEntropy" });
    expect(Array.isArray(findings)).toBe(true);
    expect(stateOf(model)).toEqual(before);
  });

  it("refuses x that is not [samples, ...input shape], saying how to reshape it", async () => {
    const model = fromSpec(spec);
    const flat = new Tensor(train.x.data, [96, 64]);
    await expect(fit(model, { x: flat, y: train.y })).rejects.toThrow(
      "fit: x must be [samples, 1, 8, 8] for this model, whose input is [1, 8, 8]; got " +
        "[96, 64] (the same values per sample: x.reshape([-1, 1, 8, 8]))");
    expect(() => evaluate(model, { x: new Tensor(train.x.data, [96, 1, 4, 16]), y: train.y }))
      .toThrow("evaluate: x must be [samples, 1, 8, 8] for this model, whose input is " +
        "[1, 8, 8]; got [96, 1, 4, 16] (the same values per sample");
    // A flat array is cut into samples of the input shape.
    const fromFlat = evaluate(model, { x: Array.from(train.x.data), y: train.y });
    expect(fromFlat.count).toBe(96);
  });
});
