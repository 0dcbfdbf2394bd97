// The first NaN/Inf of a run, reported at the step it appears: a data set with one NaN input
// row, with a model that hides the NaN from the loss and one that does not; the monitor and
// diagnose on the same data.
import { Rng, type Tensor, equal, tensor, where } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { diagnose } from "./diagnose.js";
import type { Finding } from "./diagnose-types.js";
import { NonFiniteError, fit } from "./fit.js";
import { Module } from "./module.js";
import { TrainingMonitor } from "./monitor.js";
import { Adam } from "./optim/adam.js";
import { Sequential } from "./sequential.js";
import { twoMoons } from "../test/fit-fixtures.js";

/** Replaces NaN by 0: a layer that hides a NaN input from the loss (but not from dW). */
class NanToZero extends Module {
  forward(x: Tensor): Tensor {
    return where(equal(x, x), x, 0);
  }
}

const BAD = 37; // the sample whose input is NaN
const SEED = 5;
const BATCH = 8;

function data(): { x: number[][]; y: number[] } {
  const moons = twoMoons(96, 1);
  moons.x[BAD] = [Number.NaN, 0.5];
  return moons;
}

/** The step (1-based) of epoch 1 whose shuffled batch holds sample BAD. */
function stepOfBad(): number {
  const order = new Rng(SEED).shuffle(Int32Array.from({ length: 96 }, (_, i) => i));
  return Math.floor(order.indexOf(BAD) / BATCH) + 1;
}

function net(hidden: "masking" | "tanh"): Sequential {
  const first = new Dense({ inputSize: 2, outputSize: 8, init: "heNormal", seed: 1,
    activation: hidden === "tanh" ? "tanh" : "identity" });
  const last = new Dense({ inputSize: 8, outputSize: 1, activation: "sigmoid", seed: 2 });
  return new Sequential(hidden === "tanh" ? [first, last] : [first, new NanToZero(), last]);
}

async function failure(model: Sequential, compile: boolean): Promise<NonFiniteError> {
  try {
    await fit(model, data(), { epochs: 2, batchSize: BATCH, seed: SEED, compile,
      optimizer: new Adam(model.parameters(), { learningRate: 0.01 }) });
  } catch (error) {
    if (error instanceof NonFiniteError) return error;
    throw error;
  }
  throw new Error("fit finished without reporting the NaN");
}

describe("fit reports the first NaN at the step it appears", { timeout: 60_000 }, () => {
  for (const compile of [true, false]) {
    it(`names the gradient and the sample when the loss stays finite (compile ${compile})`,
      async () => {
        const model = net("masking");
        const error = await failure(model, compile);
        const step = stepOfBad();
        // Feature 0 of sample 37 is NaN: row 0 of the first weight (8 units) gets NaN.
        expect(error.message).toBe(`fit: the gradient of layers.0.weight holds 8 NaN/Inf ` +
          `values at step ${step} (epoch 1, batch ${step}), the first non-finite value of ` +
          `this run; the minibatch's input holds 1 NaN/Inf value, the first in sample ${BAD}, ` +
          `feature 0. Cause: the data: sample ${BAD}'s input is not a number, and what is ` +
          "computed from it (the gradients) turns NaN too. Fix: remove or repair sample " +
          `${BAD} (and check the preprocessing for a division by zero or a missing value); ` +
          "diagnose() on that batch names it as well. The parameters were left as they were " +
          "before that update");
        expect(error.finding.layer).toBe("layers.0");
        expect(error.history.stepLosses).toHaveLength(step - 1);
        expect(error.history.stepLosses.every(Number.isFinite)).toBe(true);
        // The update was not applied: every weight is still finite.
        expect(model.parameters().every((p) => p.data.every(Number.isFinite))).toBe(true);
      });
  }

  it("names the loss when the NaN reaches it", async () => {
    const error = await failure(net("tanh"), true);
    const step = stepOfBad();
    expect(error.message).toContain(`fit: the loss became NaN at step ${step} (epoch 1, ` +
      `batch ${step}), the first non-finite value of this run; the minibatch's input holds 1`);
    expect(error.finding.layer).toBe("loss");
  });

  it("stops before the update with nonFinite: 'stop', or reports once with 'warn'", async () => {
    const model = net("masking");
    const seen: Finding[] = [];
    const history = await fit(model, data(), {
      epochs: 2, batchSize: BATCH, seed: SEED, nonFinite: "stop",
      callbacks: [{ onFinding: (f) => seen.push(f) }],
    });
    expect(history.stopped?.reason).toBe("nonFinite");
    expect(history.stopped?.epoch).toBe(1);
    expect(history.stepLosses).toHaveLength(stepOfBad() - 1);
    expect(seen.map((f) => f.code)).toEqual(["non-finite"]);
    expect(model.parameters().every((p) => p.data.every(Number.isFinite))).toBe(true);
    const warned: Finding[] = [];
    const going = await fit(net("masking"), data(), {
      epochs: 1, batchSize: BATCH, seed: SEED, nonFinite: "warn",
      callbacks: [{ onFinding: (f) => warned.push(f) }],
    });
    expect(going.stepLosses).toHaveLength(12);
    expect(warned).toHaveLength(1);
  });

  it("refuses to start from NaN weights, naming the parameter", async () => {
    const model = net("tanh");
    model.parameters()[2].data[3] = Number.NaN;
    await expect(fit(model, twoMoons(16, 1), { seed: 1 })).rejects.toThrow(
      "fit: parameter layers.1.weight holds 1 NaN/Inf value before training, the first " +
        "non-finite value of this run. Cause: the model was built or loaded with NaN/Inf");
  });

  it("a validation sample holding NaN is named, not kept as a NaN validation loss", async () => {
    const train = twoMoons(32, 1);
    const validation = twoMoons(8, 2);
    validation.x[5] = [Number.NaN, 0];
    await expect(fit(net("tanh"), train, { seed: 1, validationData: validation })).rejects
      .toThrow("fit: the validation loss is NaN after epoch 1: validationData x[5] holds NaN " +
        "(value 0 of the sample); remove or repair that sample");
    const all = twoMoons(40, 1);
    all.x[36] = [0.5, Number.NaN];
    await expect(fit(net("tanh"), all, { seed: 1, validationSplit: 0.2 })).rejects
      .toThrow("fit: the validation loss is NaN after epoch 1: validationSplit x[36] holds NaN " +
        "(value 1 of the sample); remove or repair that sample");
    // nonFinite "warn" and "stop" are honoured: a finding, then going on or stopping.
    for (const nonFinite of ["warn", "stop"] as const) {
      const told: string[] = [];
      const history = await fit(net("tanh"), train, {
        seed: 1, epochs: 2, validationData: validation, nonFinite,
        callbacks: [{ onFinding: (f) => { told.push(f.message); } }],
      });
      expect(told).toEqual(["the validation loss is NaN after epoch 1: validationData x[5] " +
        "holds NaN (value 0 of the sample); remove or repair that sample"]);
      expect(history.epochs.map((e) => e.validationLoss))
        .toEqual(nonFinite === "warn" ? [NaN, NaN] : [NaN]);
      expect(history.stopped?.reason).toBe(nonFinite === "warn" ? undefined : "nonFinite");
    }
  });
});

describe("the monitor and diagnose on a batch with a NaN row", () => {
  const batch = {
    x: tensor([[0.1, 0.2], [Number.NaN, 0.5], [0.3, -0.1]]), y: tensor([[1], [0], [1]]),
  };

  it("TrainingMonitor.step with the step's state names the gradient; no plateau after", () => {
    const model = net("masking");
    const monitor = new TrainingMonitor({ window: 3 });
    const optimizer = new Adam(model.parameters());
    const found: Finding[] = [];
    for (let step = 1; step <= 6; step++) {
      optimizer.zeroGrad();
      const x = step === 2 ? batch.x : tensor([[0.1, 0.2], [0.4, 0.5], [0.3, -0.1]]);
      const loss = model.forward(x).mean(); // finite: the NaN row is zeroed after layer 0
      loss.backward();
      optimizer.step();
      found.push(...monitor.step(loss.item(), { parameters: model.namedParameters(), input: x }));
    }
    expect(found.map((f) => f.code)).toEqual(["non-finite"]);
    expect(found[0].message).toMatch(/^the gradient of layers\.0\.weight holds \d+ NaN\/Inf /);
    expect(found[0].message).toContain("at step 2, the first non-finite value of this run; " +
      "the minibatch's input holds 1 NaN/Inf value, the first in sample 1, feature 0");
    expect(monitor.plateaued).toBe(false); // the NaN network's flat loss is not "converged"
  });

  it("diagnose names the input as the cause, with the row and feature", () => {
    const model = net("masking");
    const findings = diagnose(model, batch);
    expect(findings[0]).toMatchObject({ code: "non-finite", severity: "error", layer: "input" });
    expect(findings[0].message).toBe("the batch's input holds 1 NaN/Inf value, the first in row " +
      "1, feature 0: this is the cause of any NaN in the loss, the gradients and (after an " +
      "update) the weights");
    expect(findings[0].fix).toMatch(/^remove or repair row 1/);
  });
});
