// The realistic browser program `pnpm size` bundles and budgets: a model from a JSON spec,
// trained with fit (compiled steps, a validation split, callbacks), evaluated, saved to
// safetensors bytes and loaded back. It uses only what runs in a page (no Node API).
import { Rng } from "@tapegrad/core";
import {
  Adam, type Callback, earlyStopping, evaluate, fit, fromSpec, loadSafetensorsInto,
  modelToSafetensors, parseSpec,
} from "@tapegrad/nn";

// Three classes of points in the plane: which third of the circle each point's angle is in.
function pie(count: number, rng: Rng): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < count; i++) {
    const [a, b] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    x.push([a, b]);
    y.push(Math.floor(((Math.atan2(b, a) + Math.PI) / (2 * Math.PI)) * 3) % 3);
  }
  return { x, y };
}

// A spec as a page would fetch it (JSON), validated once, then built.
const spec = parseSpec(JSON.parse(JSON.stringify({
  input: 2, seed: 3, layers: [
    { type: "dense", units: 32, activation: "relu", init: "heNormal" },
    { type: "dense", units: 16, activation: "tanh" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
})), { source: "model.json" });
const model = fromSpec(spec);
// What a page's loss chart would do: keep every step's loss and each epoch's validation.
const chart = { steps: [] as number[], epochs: [] as Array<number | null> };
const plot: Callback = {
  onStep(info) {
    chart.steps.push(info.loss);
  },
  onEpochEnd(record) {
    chart.epochs.push(record.validationAccuracy);
  },
};
const history = await fit(model, pie(600, new Rng(1)), {
  epochs: 20, batchSize: 32, validationSplit: 0.2, seed: 2,
  optimizer: new Adam(model.parameters(), { learningRate: 0.01 }),
  callbacks: [plot, earlyStopping({ patience: 5, restoreBestWeights: true })],
});
const test = pie(300, new Rng(4));
const measured = evaluate(model, test);
// Save (weights as safetensors bytes, spec as JSON) and load into a model built from the spec.
const copy = fromSpec(parseSpec(JSON.parse(JSON.stringify(model.toSpec()))));
loadSafetensorsInto(copy, modelToSafetensors(model), "in-memory");
const reloaded = evaluate(copy, test);
// One JSON line for the size script, which checks that the bundle really trains.
console.log(JSON.stringify({
  first: chart.steps[0], last: history.epochs[history.epochs.length - 1].trainLoss,
  accuracy: measured.accuracy, epochs: chart.epochs.length,
  same: reloaded.loss === measured.loss && reloaded.accuracy === measured.accuracy,
}));
