// The training monitor inside runTraining: the seed's zero-init mistake is reported while
// training; a healthy run gets no error findings.
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "@tapegrad/core";
import { type Finding, NonFiniteError } from "@tapegrad/nn";
import { type MnistData, splitMnist } from "./dataset.js";
import { readMnistFiles } from "./files.js";
import { runTraining } from "./run.js";

let data: MnistData;
let files: Awaited<ReturnType<typeof readMnistFiles>>;

beforeAll(async () => {
  files = await readMnistFiles();
  const split = splitMnist(files, { limit: 3000, validation: 250 });
  data = { ...split, test: { ...split.test, indices: split.test.indices.subarray(0, 500) } };
});

const codes = (findings: readonly Finding[]) => findings.map((f) => f.code);

describe("runTraining's monitor", { timeout: 60_000 }, () => {
  it("reports the seed's zero-initialised network: zero weights and gradients, " +
    "the baseline", async () => {
    const seen: Finding[] = [];
    const result = await runTraining({
      data, init: "zeros",
      settings: { epochs: 3, optimizer: "sgd", learningRate: 0.5, batchSize: 64 },
      onFinding: (f) => seen.push(f),
    });
    expect(seen).toEqual(result.findings);
    expect(codes(result.findings)).toEqual(expect.arrayContaining([
      "zero-weights", "weight-grad-zero", "constant-output", "loss-at-baseline",
    ]));
    const atBaseline = result.findings.find((f) => f.code === "loss-at-baseline")!;
    expect(atBaseline.severity).toBe("error");
    expect(Math.abs(atBaseline.value - result.baselineLoss)).toBeLessThan(0.05);
    expect(result.findings.find((f) => f.code === "weight-grad-zero")!.layer).toBe("layers.2");
  });

  it("finds no errors in the default (He-initialised) network", async () => {
    const result = await runTraining({ data, settings: { epochs: 2 } });
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    // 86 Adam steps on 2,750 images: far from converged, far above the broken model's ~10 %.
    expect(result.test.accuracy).toBeGreaterThan(0.6);
  });

  it("stops at the step whose batch holds an image with a NaN pixel, naming the sample",
    async () => {
      const split = splitMnist(files, { limit: 1000, validation: 100 });
      const corrupt = 321;
      split.train.images.data[corrupt * 784 + 400] = Number.NaN;
      // runTraining shuffles with Rng(seed + 1); batches of 64.
      const order = new Rng(43).shuffle(split.train.indices.slice());
      const step = Math.floor(order.indexOf(corrupt) / 64) + 1;
      const run = runTraining({ data: split, settings: { epochs: 1, seed: 42 } });
      await expect(run).rejects.toThrow(NonFiniteError);
      await expect(run).rejects.toThrow(new RegExp(`at step ${step} \\(epoch 1, batch ` +
        `${step}\\), the first non-finite value of this run; the minibatch's input holds 1 ` +
        `NaN/Inf value, the first in sample ${corrupt}, feature 400`));
    });
});
