// tapegrad-mnist export: the ONNX file run in onnxruntime on the real MNIST test images gives
// tapegrad's outputs; the safetensors file has PyTorch's names and layouts.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { noGrad } from "@tapegrad/core";
import { decodeSafetensors, predictedClasses } from "@tapegrad/nn";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadMnist, type MnistData } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, "..", "dist", "cli.js");
const MLP = join(here, "..", "..", "..", "examples", "models", "mlp-512-256.json");
let dir: string;
let data: MnistData;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ["--limit", "600", "--val", "100", "--batch-size", "50", "--epochs", "1"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-export-"));
  data = await loadMnist({ limit: 1, validation: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Runs `onnxFile` on all 10000 test images and compares with the checkpoint's model in tapegrad.
async function compareOnTestSet(checkpoint: string, onnxFile: string) {
  const { model } = await loadCheckpoint(checkpoint);
  const images = data.test.images; // [10000, 784] float32 in [0, 1]
  expect(images.shape).toEqual([10000, 784]);
  const session = await ort.InferenceSession.create(onnxFile);
  // A copy: the dataset's pixels live in shared memory, which onnxruntime-node does not take.
  const pixels = Float32Array.from(images.data);
  const result = await session.run({ input: new ort.Tensor("float32", pixels, [10000, 784]) });
  const got = result.output.data as Float32Array;
  const want = noGrad(() => model.eval().forward(images));
  expect(result.output.dims).toEqual(want.shape);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.data[i]));
  const classes = (values: Float32Array) => {
    const out: number[] = [];
    for (let r = 0; r < 10000; r++) {
      const row = Array.from(values.subarray(r * 10, r * 10 + 10));
      out.push(row.indexOf(Math.max(...row)));
    }
    return out;
  };
  return { worst, onnxClasses: classes(got), tapegradClasses: predictedClasses(want) };
}

describe("export", { timeout: 240_000 }, () => {
  it("--onnx: onnxruntime matches tapegrad on the 10000 test images (seed network)", async () => {
    const run = join(dir, "seed");
    const quick = ["--limit", "2000", "--val", "100", "--batch-size", "50", "--epochs", "1"];
    const adam = ["--optimizer", "adam", "--lr", "0.003"];
    expect(cli("train", ...quick, ...adam, "--out", run).status).toBe(0);
    const onnx = join(dir, "seed.onnx");
    const r = cli("export", "--checkpoint", run, "--onnx", onnx, "--json");
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ command: "export", epoch: 1, opset: 17, dtype: "float32" });
    expect(summary.files).toEqual([{ format: "onnx", path: onnx, bytes: expect.any(Number) }]);
    const { worst, onnxClasses, tapegradClasses } = await compareOnTestSet(run, onnx);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(onnxClasses).toEqual(Array.from(tapegradClasses));
    // A trained model: most test images are classified right (not a vacuous comparison).
    const right = onnxClasses.filter((c, i) => c === data.test.labels[i]).length;
    expect(right).toBeGreaterThan(5000);
  });

  it("--onnx and --safetensors for the mlp-512-256 recipe (relu, softmax)", async () => {
    const run = join(dir, "mlp");
    expect(cli("train", "--model", MLP, ...SMALL, "--out", run).status).toBe(0);
    const onnx = join(dir, "mlp.onnx");
    const weights = join(dir, "mlp.safetensors");
    const r = cli("export", "--checkpoint", run, "--onnx", onnx, "--safetensors", weights);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${onnx} (ONNX opset 17,`);
    expect(r.stdout)
      .toContain("nn.Linear(in_features=784, out_features=512, bias=True),\n    nn.ReLU(),");
    const { worst, onnxClasses, tapegradClasses } = await compareOnTestSet(run, onnx);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(onnxClasses).toEqual(Array.from(tapegradClasses));
    const { tensors, metadata } = decodeSafetensors(await readFile(weights));
    expect(metadata).toMatchObject({ format: "pt", producer: "tapegrad", version: "2" });
    expect(Object.entries(tensors).map(([n, t]) => [n, t.shape]).sort()).toEqual([
      ["0.bias", [512]], ["0.weight", [512, 784]], ["2.bias", [256]], ["2.weight", [256, 512]],
      ["4.bias", [10]], ["4.weight", [10, 256]],
    ]);
    const { model } = await loadCheckpoint(run);
    const dense = model.parameters()[0]; // [784, 512] in tapegrad
    expect(tensors["0.weight"].data[3 * 784 + 5]).toBe(dense.data[5 * 512 + 3]);
  });

  it("usage and runtime errors", () => {
    expect(cli("export", "--help").stdout).toMatch(/Usage: tapegrad-mnist export/);
    const noTarget = cli("export", "--checkpoint", dir);
    expect([noTarget.status, noTarget.stderr])
      .toEqual([2, expect.stringMatching(/give --onnx FILE and\/or --safetensors FILE/)]);
    expect(cli("export", "--onnx", "x.onnx").stderr).toMatch(/--checkpoint is required/);
    const missing = cli("export", "--checkpoint", join(dir, "none"), "--onnx", join(dir, "n.onnx"));
    expect([missing.status, missing.stderr])
      .toEqual([1, expect.stringMatching(/is not a checkpoint/)]);
  });
});
