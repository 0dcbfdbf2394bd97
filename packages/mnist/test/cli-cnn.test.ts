// The CLI with a CNN recipe (input [1, 28, 28], batch norm, dropout): the images reshaped for
// it, a resumed run that equals the straight one bit for bit (weights, running statistics,
// dropout masks), evaluate/predict/doctor on it, and its ONNX export on the real test images.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noGrad } from "@tapegrad/core";
import { decodeSafetensors, predictedClasses } from "@tapegrad/nn";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadMnist } from "../src/index.js";
import { SMALL, cli, expectError, finalWeights } from "./cli-run.js";

let dir: string;
let recipe: string;

const cnn = {
  model: {
    input: [1, 28, 28], seed: 3,
    layers: [
      { type: "conv2d", outChannels: 6, kernelSize: 5, padding: 2, activation: "relu" },
      { type: "maxPool2d", kernelSize: 2 },
      { type: "batchNorm2d" },
      { type: "conv2d", outChannels: 8, kernelSize: 3, activation: "relu" },
      { type: "maxPool2d", kernelSize: 2 },
      { type: "flatten" },
      { type: "dropout", p: 0.3 },
      { type: "dense", units: 10 },
    ],
  },
  training: { learningRate: 0.003, schedule: "constant" },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-cnn-"));
  recipe = join(dir, "cnn.json");
  await writeFile(recipe, JSON.stringify(cnn));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a CNN recipe through the CLI", { timeout: 240_000 }, () => {
  it("trains, and a run resumed and extended equals the straight one bit for bit", async () => {
    const straight = join(dir, "straight");
    const r = cli("train", "--model", recipe, ...SMALL, "--epochs", "2", "--out", straight);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch 2\/2 .* val_acc/);
    const resumed = join(dir, "resumed");
    expect(cli("train", "--model", recipe, ...SMALL, "--epochs", "1", "--out", resumed).status)
      .toBe(0);
    const again = cli("train", "--resume", "--out", resumed, "--epochs", "2", "--threads", "1");
    expect(again.status, again.stderr).toBe(0);
    expect(Buffer.compare(await finalWeights(resumed), await finalWeights(straight))).toBe(0);
    // The weights file holds the running statistics, which trained: not a vacuous equality.
    const { tensors } = decodeSafetensors(await finalWeights(straight));
    expect(tensors["3.num_batches_tracked"].data[0]).toBe(20); // 2 epochs of 10 batches
    expect(Array.from(tensors["3.running_mean"].data).some((v) => v !== 0)).toBe(true);
    const state = (d: string) => readFile(join(d, "epoch-0002", "state.json"), "utf8")
      .then((t) => JSON.parse(t).dropoutRng);
    expect(await state(resumed)).toEqual(await state(straight));
  });

  it("evaluates, predicts and diagnoses with the image shape", () => {
    const run = join(dir, "straight");
    const evaluation = cli("evaluate", "--checkpoint", run, "--json");
    expect(evaluation.status, evaluation.stderr).toBe(0);
    expect(JSON.parse(evaluation.stdout).accuracy).toBeGreaterThan(0.5);
    const prediction = cli("predict", "--checkpoint", run, "--index", "0", "--json");
    expect(prediction.status, prediction.stderr).toBe(0);
    expect(JSON.parse(prediction.stdout).probabilities).toHaveLength(10);
    const doctor = cli("doctor", "--model", recipe, "--batch-size", "64");
    expect(doctor.stdout, doctor.stderr).toMatch(/^doctor: /);
  });

  it("refuses an input shape that does not hold an image", async () => {
    const wrong = join(dir, "wrong.json");
    const model = { ...cnn.model, input: [3, 28, 28] };
    await writeFile(wrong, JSON.stringify({ ...cnn, model }));
    expectError(cli("train", "--model", wrong, ...SMALL, "--epochs", "1"), 1,
      new RegExp("the model's input \\[3, 28, 28\\] takes 2352 values per sample; an image " +
        "has 784 pixels \\(make the spec's input 784 or \\[1, 28, 28\\]\\)"));
  });

  it("exports ONNX that onnxruntime runs on the 10000 test images as tapegrad does", async () => {
    const run = join(dir, "straight");
    const onnx = join(dir, "cnn.onnx");
    const weights = join(dir, "cnn.safetensors");
    const r = cli("export", "--checkpoint", run, "--onnx", onnx, "--safetensors", weights);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("nn.BatchNorm2d(num_features=6");
    const file = decodeSafetensors(await readFile(weights)).tensors;
    expect(file["3.num_batches_tracked"].dtype).toBe("int64");
    const { model } = await loadCheckpoint(run);
    const { test } = await loadMnist({ limit: 1, validation: 0 });
    const images = test.images.reshape([10000, 1, 28, 28]);
    const session = await ort.InferenceSession.create(onnx);
    const pixels = Float32Array.from(images.data); // a copy: onnxruntime takes no shared memory
    const input = new ort.Tensor("float32", pixels, [10000, 1, 28, 28]);
    const out = await session.run({ input });
    const want = noGrad(() => model.eval().forward(images));
    expect(out.output.dims).toEqual([10000, 10]);
    const got = out.output.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.data[i]));
    expect(worst).toBeLessThanOrEqual(1e-5);
    const classes = predictedClasses(want);
    const right = classes.filter((c, i) => c === test.labels[i]).length;
    expect(right).toBeGreaterThan(5000); // a trained model: not a vacuous comparison
  });
});
