// CLI tests: usage errors, help, doctor's verdict, and train → resume → evaluate → predict.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMALL, cli, expectError, finalWeights } from "./cli-run.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("usage errors exit 2 with one line that says what to do", { timeout: 60_000 }, () => {
  it.each([
    [["train", "--bogus"], /train: unknown option --bogus \(see/],
    [["train", "--epoch", "3"], /unknown option --epoch; did you mean --epochs\?/],
    [["train", "--batch_size", "3"], /unknown option --batch_size; did you mean --batch-size\?/],
    [["train", "--learning-rate", "0.1"], /unknown option --learning-rate; did you mean --lr\?/],
    [["doctor", "--modle", "x.json"], /unknown option --modle; did you mean --model\?/],
    [["train", "epochs", "3"], /unexpected argument "epochs"; .*did you mean --epochs\?/],
    [["train", "--epochs", "0"], /--epochs must be a positive integer; got 0 /],
    [["train", "--epochs", "-1"], /^tapegrad-mnist: --epochs must be a positive integer; got -1 /],
    [["train", "--epochs", "2.5"], /--epochs must be a positive integer; got 2.5 /],
    [["train", "--epochs", "many"], /--epochs must be a positive integer; got "many"/],
    [["train", "--lr", "-0.1"], /--lr must be a positive number; got -0.1 /],
    [["train", "--seed", "-5"], /--seed must be a non-negative integer; got -5 /],
    [["train", "--out"], /--out needs a value/],
    [["train", "--out", "-x"], /--out needs a value; .*write --out=VALUE/],
    [["train", "--out", ""], /--out must name a folder; got ""/],
    [["train", "--resume=yes"], /--resume takes no value/],
    [
      ["train", "--optimizer", "rmsprop"],
      /--optimizer must be one of sgd, adam, adamw; got "rmsprop"/,
    ],
    [["train", "--resume"], /--resume needs --out DIR/],
    [["train", "--max-parameters", "0"], /--max-parameters must be a positive integer; got 0/],
    [["evaluate"], /--checkpoint is required/],
    [["predict", "--checkpoint", "x"], /--index is required/],
    [["export", "--checkpoint", "x", "--data-dir", "d"], /export: unknown option --data-dir/],
    [["frobnicate"], /unknown command "frobnicate"; expected train, evaluate/],
    [["trian"], /unknown command "trian"; did you mean train\?/],
    [["eval"], /unknown command "eval"; did you mean evaluate\?/],
  ])("%j", (args, message) => {
    expectError(cli(...args), 2, message);
  });

  it("prints help for every command with exit 0, the limit flags included", () => {
    for (const command of ["train", "evaluate", "predict", "doctor", "export"]) {
      const r = cli(command, "--help");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: tapegrad-mnist ${command}`));
      expect(r.stdout).toMatch(/--max-parameters N .*\(default 100000000\)/);
      expect(r.stdout).toMatch(/docs\/limits\.md/);
    }
    expect(cli("train", "--help").stdout).toMatch(/--max-idx-bytes N .*\(default 536870912\)/);
    expect(cli("export", "--help").stdout).not.toMatch(/--max-idx-bytes/);
  });
});

describe("doctor leads with a verdict and fails on errors", { timeout: 60_000 }, () => {
  it("finds the seed's zero initialisation: exit 1, the verdict first", () => {
    const r = cli("doctor", "--init", "zeros", "--batch-size", "64");
    expect(r.status, r.stderr).toBe(1);
    const [first, second] = r.stdout.split("\n");
    expect(first).toMatch(
      /^doctor: 9 errors — this model will not learn: every one of the 64 samples gets the same/,
    );
    expect(second).toBe("");
    expect(r.stdout).toMatch(/\n\nERROR constant-output/);
    const json = cli("doctor", "--init", "zeros", "--batch-size", "64", "--json");
    expect(json.status, json.stderr).toBe(1);
    const summary = JSON.parse(json.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.verdict).toBe(first);
    const codes = summary.findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(["zero-weights", "weight-grad-zero"]));
    expectError(cli("doctor", "--init", "ones"), 2, /--init must be spec or zeros; got "ones"/);
  });

  it("says 'no problems found' for the healthy seed network and exits 0", () => {
    const r = cli("doctor", "--batch-size", "64");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("doctor: no problems found (1 note below)");
    expect(r.stdout).toMatch(/INFO constant-features/);
    expect(JSON.parse(cli("doctor", "--batch-size", "64", "--json").stdout)).toMatchObject({
      ok: true, verdict: "doctor: no problems found (1 note below)",
    });
  });
});

describe("train, resume, evaluate, predict", { timeout: 240_000 }, () => {
  const constant = [...SMALL, "--schedule", "constant"];

  it("trains to the same losses on 1, 3 and the default number of threads", () => {
    const losses = [[], ["--threads", "1"], ["--threads", "3"]].map((threads) => {
      const r = cli("train", ...constant, "--epochs", "1", "--json", ...threads);
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      return [summary.epochs[0].trainLoss, summary.test.loss];
    });
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[2]).toEqual(losses[0]);
  });

  it("--json prints exactly one JSON summary on stdout", () => {
    const r = cli("train", ...constant, "--epochs", "1", "--json");
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
    expect(summary.resumedAfter).toBeNull();
    expect(summary.config).toMatchObject({ limit: 600, validation: 100, loss: "bce", seed: 42 });
  });

  it("extending a constant-schedule run equals training that long from the start", async () => {
    const straight = join(dir, "straight");
    const resumed = join(dir, "resumed");
    expect(cli("train", ...constant, "--epochs", "2", "--out", straight).status).toBe(0);
    expect(cli("train", ...constant, "--epochs", "1", "--out", resumed).status).toBe(0);
    const r = cli("train", "--resume", "--out", resumed, "--epochs", "2", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning: --epochs/); // constant: nothing is re-planned
    const summary = JSON.parse(r.stdout);
    expect(summary.resumedAfter).toBe(1);
    expect(summary.epochs).toHaveLength(2);
    expect(summary.secondsPerEpoch).toBe(summary.epochs[1].seconds); // this run's epoch only
    expect(Buffer.compare(await finalWeights(straight), await finalWeights(resumed))).toBe(0);
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
    expectError(
      cli("predict", "--checkpoint", checkpoint, "--index", "10000"), 1,
      /index must be an integer in \[0, 10000\); got 10000/,
    );
  });
});
