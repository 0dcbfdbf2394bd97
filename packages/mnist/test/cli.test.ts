// CLI tests: spawn the built tapegrad-mnist binary (the root `test` script builds it first).
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");
let dir: string;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Small, fast runs: 600 samples, 100 of them for validation, constant learning rate.
const SMALL = ["--limit", "600", "--val", "100", "--batch-size", "50", "--schedule", "constant"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("usage errors exit 2 with one line", { timeout: 60_000 }, () => {
  it.each([
    [["train", "--bogus"], /Unknown option '--bogus'/],
    [["train", "--epochs", "0"], /--epochs must be an integer ≥ 1; got "0"/],
    [["train", "--epochs", "-3"], /Option '--epochs' argument is ambiguous/],
    [
      ["train", "--optimizer", "rmsprop"],
      /--optimizer must be one of sgd, adam, adamw; got "rmsprop"/,
    ],
    [["train", "--resume"], /--resume needs --out DIR/],
    [["evaluate"], /--checkpoint is required/],
    [["predict", "--checkpoint", "x"], /--index is required/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ])("%j", (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("prints help for every command with exit 0", () => {
    for (const command of ["train", "evaluate", "predict", "doctor"]) {
      const r = cli(command, "--help");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: tapegrad-mnist ${command}`));
    }
  });
});

describe("runtime errors exit 1 without a stack unless --verbose", { timeout: 60_000 }, () => {
  it("names the missing checkpoint", () => {
    const r = cli("evaluate", "--checkpoint", join(dir, "none"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not a checkpoint/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(cli("evaluate", "--checkpoint", join(dir, "none"), "--verbose").stderr)
      .toMatch(/\n\s+at /);
  });

  it("reads a --model file that starts with a UTF-8 byte-order mark", async () => {
    const path = join(dir, "bom-model.json");
    await writeFile(path, '\uFEFF{"input": 784, "layers": [{"type": "dense", "units": -1}]}');
    const r = cli("train", "--model", path, ...SMALL, "--epochs", "1");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/layers\[0\]\.units must be a positive integer; got -1/);
  });
});

describe("doctor", { timeout: 60_000 }, () => {
  it("finds the seed's zero initialisation on one batch", () => {
    const r = cli("doctor", "--init", "zeros", "--batch-size", "64", "--json");
    expect(r.status, r.stderr).toBe(0);
    const codes = JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(["zero-weights", "weight-grad-zero"]));
    expect(cli("doctor", "--init", "ones").status).toBe(2);
  });
});

describe("train, resume, evaluate, predict", { timeout: 240_000 }, () => {
  it("trains to the same losses on 1, 3 and the default number of threads", () => {
    const losses = [[], ["--threads", "1"], ["--threads", "3"]].map((threads) => {
      const r = cli("train", ...SMALL, "--epochs", "1", "--json", ...threads);
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      return [summary.epochs[0].trainLoss, summary.test.loss];
    });
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[2]).toEqual(losses[0]);
  });

  it("--json prints exactly one JSON summary on stdout", () => {
    const r = cli("train", ...SMALL, "--epochs", "1", "--json");
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(summary.command).toBe("train");
    expect(summary.epochs).toHaveLength(1);
    expect(Object.keys(summary.epochs[0])).toEqual(expect.arrayContaining([
      "epoch", "trainLoss", "trainAccuracy", "validationAccuracy", "seconds", "samplesPerSecond",
    ]));
    expect(summary.test.accuracy).toBeGreaterThan(0);
    expect(summary.test.accuracy).toBeLessThanOrEqual(1);
    expect(summary.test.confusion).toHaveLength(10);
    expect(summary.secondsPerEpoch).toBeGreaterThan(0);
    expect(summary.samplesPerSecond).toBeGreaterThan(0);
    expect(summary.config).toMatchObject({ limit: 600, validation: 100, loss: "bce", seed: 42 });
  });

  it("resuming a checkpoint ends with the same weights, byte for byte", async () => {
    const straight = join(dir, "straight");
    const resumed = join(dir, "resumed");
    expect(cli("train", ...SMALL, "--epochs", "2", "--out", straight).status).toBe(0);
    expect(cli("train", ...SMALL, "--epochs", "1", "--out", resumed).status).toBe(0);
    const r = cli("train", "--resume", "--out", resumed, "--epochs", "2");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming after epoch 1/);
    const weights = (d: string) => readFile(join(d, "epoch-0002", "model.safetensors"));
    expect(Buffer.compare(await weights(straight), await weights(resumed))).toBe(0);
    const svg = await readFile(join(resumed, "loss-curve.svg"), "utf8");
    expect(svg).toMatch(/stroke-dasharray/);
  });

  it("evaluate reports the saved model's test accuracy, predict shows one image", () => {
    const checkpoint = join(dir, "straight");
    const r = cli("evaluate", "--checkpoint", checkpoint, "--json");
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.epoch).toBe(2);
    expect(result.count).toBe(10000);
    expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
    const text = cli("evaluate", "--checkpoint", checkpoint);
    expect(text.stdout).toMatch(/test accuracy \d+\.\d\d%/);
    const p = cli("predict", "--checkpoint", checkpoint, "--index", "0");
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/@@/);
    expect(p.stdout).toMatch(/test image 0: label 7, predicted \d/);
    expect(cli("predict", "--checkpoint", checkpoint, "--index", "10000").status).toBe(1);
  });
});
