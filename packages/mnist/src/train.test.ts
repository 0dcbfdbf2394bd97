// runTraining (fit on MNIST) on real subsets: the loss beats the baseline; runs are deterministic
// and a resumed run ends bit-identical to an uninterrupted one.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "./checkpoint.js";
import { type MnistData, splitMnist } from "./dataset.js";
import { readMnistFiles } from "./files.js";
import { runTraining } from "./run.js";

let data2000: MnistData;
let data600: MnistData;
let dir: string;

beforeAll(async () => {
  const files = await readMnistFiles();
  data2000 = splitMnist(files, { limit: 2000, validation: 200 });
  const small = splitMnist(files, { limit: 600, validation: 100 });
  // A 500-image test split keeps the final evaluation of these short runs quick.
  data600 = { ...small, test: { ...small.test, indices: small.test.indices.subarray(0, 500) } };
  dir = await mkdtemp(join(tmpdir(), "tapegrad-train-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("runTraining", { timeout: 60_000 }, () => {
  it("trains the seed network on 2,000 real samples to well below " +
    "the constant predictor", async () => {
    const steps: number[] = [];
    const result = await runTraining({
      data: data2000, limit: 2000, validation: 200,
      settings: { epochs: 2, batchSize: 32, learningRate: 2e-3 }, onStep: (s) => steps.push(s.loss),
    });
    expect(result.config.loss).toBe("bce");
    expect(result.baselineLoss).toBeGreaterThan(3.2);
    expect(result.baselineLoss).toBeLessThan(3.3);
    expect(steps[0]).toBeGreaterThan(result.baselineLoss); // starts near 10·ln 2
    const last = result.history.epochs[1];
    expect(last.trainLoss).toBeLessThan(result.baselineLoss / 2);
    expect(last.validationAccuracy).toBeGreaterThan(0.8);
    expect(result.test.accuracy).toBeGreaterThan(0.8);
    expect(result.history.stepLosses).toEqual(steps);
  });

  it("uses cross-entropy for a softmax model", async () => {
    const spec = {
      input: 784, seed: 1,
      layers: [
        {
          type: "dense" as const, units: 32, activation: "relu" as const,
          init: "heNormal" as const,
        },
        { type: "dense" as const, units: 10, activation: "softmax" as const },
      ],
    };
    const result = await runTraining({
      data: data600, spec, settings: { epochs: 1, batchSize: 50 },
    });
    expect(result.config.loss).toBe("crossEntropy");
    expect(result.history.epochs[0].trainLoss).toBeLessThan(Math.log(10));
  });

  it("is deterministic given the seed", async () => {
    const settings = { epochs: 1, batchSize: 64, seed: 3 };
    const a = await runTraining({ data: data600, settings });
    const b = await runTraining({ data: data600, settings });
    expect(b.history.stepLosses).toEqual(a.history.stepLosses);
    const c = await runTraining({ data: data600, settings: { ...settings, seed: 4 } });
    expect(c.history.stepLosses).not.toEqual(a.history.stepLosses);
  });

  it("resumes after a crash and ends with bit-identical weights " +
    "(cosine schedule, Adam)", async () => {
    const settings = {
      epochs: 3, batchSize: 64, optimizer: "adam" as const, schedule: "cosine" as const,
    };
    const straight = join(dir, "straight");
    const crashed = join(dir, "crashed");
    await runTraining({ data: data600, settings, out: straight });
    await expect(runTraining({
      data: data600, settings, out: crashed,
      onEpoch: (record) => {
        if (record.epoch === 1) throw new Error("simulated crash");
      },
    })).rejects.toThrow(/simulated crash/);
    expect((await loadCheckpoint(crashed)).state.epoch).toBe(1);
    const resumed = await runTraining({ data: data600, out: crashed, resume: true });
    expect(resumed.history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const bytes = async (d: string) => readFile(join(d, "epoch-0003", "model.safetensors"));
    expect(Buffer.compare(await bytes(straight), await bytes(crashed))).toBe(0);
    const a = await loadCheckpoint(straight);
    const b = await loadCheckpoint(crashed);
    expect(b.state.history.stepLosses).toEqual(a.state.history.stepLosses);
    const accuracies = (h: typeof a.state.history) => h.epochs.map((e) => e.validationAccuracy);
    expect(accuracies(b.state.history)).toEqual(accuracies(a.state.history));
    expect(b.optimizer).toEqual(a.optimizer);
    expect(b.state.rng).toEqual(a.state.rng);
  });

  it("writes the loss curve next to the checkpoint", async () => {
    const svg = await readFile(join(dir, "straight", "loss-curve.svg"), "utf8");
    expect(svg).toContain("constant predictor");
  });

  it("refuses to start a fresh run over one in out, unless overwrite is set", async () => {
    const out = join(dir, "straight");
    const before = await readFile(join(out, "checkpoint.json"), "utf8");
    const fresh = { data: data600, limit: 600, validation: 100, out, settings: { epochs: 1 } };
    await expect(runTraining(fresh)).rejects.toThrow(
      `${out} already holds a training run (checkpoint.json); resume it, choose another ` +
        "folder, or overwrite it to start again there",
    );
    expect(await readFile(join(out, "checkpoint.json"), "utf8")).toBe(before);
    await expect(runTraining({ ...fresh, resume: true, overwrite: true }))
      .rejects.toThrow("runTraining: resume and overwrite exclude each other");
  });

  it("refuses unknown option keys", async () => {
    await expect(runTraining({ data: data600, epochs: 1 } as never)).rejects.toThrow(
      'runTraining: unknown option "epochs"; Valid options: spec, settings,',
    );
  });
});
