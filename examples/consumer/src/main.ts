// Consumer example: a model from a JSON spec, trained on two spirals, saved and reloaded.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, type Tensor, noGrad, tensor } from "@tapegrad/core";
import { Adam, type Model, fromSpec, modelLoss, parseSpec } from "@tapegrad/nn";
import { loadModel, saveModel } from "@tapegrad/nn/node";

/** Two interleaved spirals, `perClass` points each: x [2·perClass, 2], labels [2·perClass, 1]. */
function twoSpirals(perClass: number, rng: Rng): { x: Tensor; y: Tensor } {
  const points: number[][] = [];
  const labels: number[][] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      const t = 0.2 + (0.8 * i) / perClass; // radius in (0.2, 1], 1.25 turns
      const angle = 2.5 * Math.PI * t + c * Math.PI;
      const noise = () => 0.02 * rng.normal();
      points.push([t * Math.cos(angle) + noise(), t * Math.sin(angle) + noise()]);
      labels.push([c]);
    }
  }
  return { x: tensor(points), y: tensor(labels) };
}

/** Fraction of rows where the sigmoid output, thresholded at 0.5, equals the label. */
function accuracy(model: Model, x: Tensor, y: Tensor): number {
  const p = noGrad(() => model.forward(x)).data;
  let correct = 0;
  for (let i = 0; i < p.length; i++) correct += Number((p[i] > 0.5 ? 1 : 0) === y.data[i]);
  return correct / p.length;
}

/** Full-batch Adam on BCE (modelLoss scores the sigmoid model on its logits); returns the loss. */
function train(model: Model, x: Tensor, y: Tensor, steps: number): number {
  const optimizer = new Adam(model.parameters(), { learningRate: 0.02 });
  let loss = Infinity;
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const l = modelLoss(model, x, y, "bce");
    l.backward();
    optimizer.step();
    loss = l.item();
  }
  return loss;
}

/** The spec in model.json, validated (read from src/ whether running from src/ or dist/). */
function loadSpecFile() {
  const url = new URL("../src/model.json", import.meta.url);
  return parseSpec(JSON.parse(readFileSync(url, "utf8")), "model.json");
}

async function main(): Promise<void> {
  const model = fromSpec(loadSpecFile());
  const data = twoSpirals(100, new Rng(7));
  const heldOut = twoSpirals(100, new Rng(8)); // same spirals, fresh noise
  const report = (m: Model) => `train ${percent(accuracy(m, data.x, data.y))}, ` +
    `held out ${percent(accuracy(m, heldOut.x, heldOut.y))}`;
  console.log(`before training: accuracy ${report(model)}`);
  const loss = train(model, data.x, data.y, 300);
  console.log(`after 300 Adam steps: loss ${loss.toFixed(4)}, accuracy ${report(model)}`);

  const dir = await mkdtemp(join(tmpdir(), "tapegrad-consumer-"));
  try {
    await saveModel(model, dir);
    const reloaded = await loadModel(dir);
    console.log(`saved and reloaded (${dir}): accuracy ${report(reloaded)}`);
    if (report(reloaded) !== report(model)) throw new Error("the reloaded model differs");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

await main();
