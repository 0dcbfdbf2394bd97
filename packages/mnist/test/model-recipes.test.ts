// The model files shipped in examples/models: each one reads, builds and trains a few steps
// through the CLI with the settings it declares (their accuracy is a benchmark, measured in
// examples/models/README.md, not a timed test).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromSpec } from "@tapegrad/nn";
import { parseModelFile, readModelFile } from "../src/index.js";
import { cli } from "./cli-run.js";

const folder = join(import.meta.dirname, "..", "..", "..", "examples", "models");
const files = readdirSync(folder).filter((f) => f.endsWith(".json")).sort();

describe("examples/models", { timeout: 180_000 }, () => {
  it("ships the seed network, the MLP and the two CNN recipes", () => {
    expect(files).toEqual(expect.arrayContaining(["cnn.json", "fashion-cnn.json",
      "mlp-512-256.json", "seed-network.json"]));
  });

  for (const file of files) {
    it(`${file} reads, builds and trains on a few hundred images`, () => {
      const path = join(folder, file);
      const r = cli("train", "--model", path, "--limit", "256", "--val", "64", "--epochs", "1",
        "--json");
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { test: { accuracy: number } };
      expect(summary.test.accuracy).toBeGreaterThan(0.1); // learned something in 4 steps
    });
  }

  it("the CNN recipes take images as [1, 28, 28] and declare their training", async () => {
    for (const file of files.filter((f) => f.includes("cnn"))) {
      const { spec, training } = await readModelFile(join(folder, file));
      expect(spec.input, file).toEqual([1, 28, 28]);
      expect(training?.epochs, file).toBeGreaterThan(0);
      expect(fromSpec(spec).parameters().length, file).toBeGreaterThan(0);
    }
  });
});

describe("a recipe's training block", () => {
  it("names a misspelled setting with the one meant", () => {
    const recipe = { model: { input: 4, layers: [{ type: "dense", units: 2 }] },
      training: { epoch: 2 } };
    expect(() => parseModelFile(recipe, "r.json")).toThrow('r.json: training has unknown key ' +
      '"epoch" (did you mean "epochs"?); valid keys: epochs, batchSize');
  });
});
