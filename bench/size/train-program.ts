// The browser program `pnpm size` bundles: a model from a spec, trained with a compiled step,
// saved to safetensors bytes and loaded back. It uses only what runs in a page (no Node API).
import { Rng, compileStep, tensor } from "@tapegrad/core";
import {
  Adam, fromSpec, loadSafetensorsInto, modelLoss, modelToSafetensors, parseSpec,
} from "@tapegrad/nn";

const spec = parseSpec({
  input: 2, seed: 3, layers: [
    { type: "dense", units: 16, activation: "tanh", init: "glorotUniform" },
    { type: "dense", units: 1, activation: "sigmoid" },
  ],
});
const model = fromSpec(spec);
// XOR-like quadrants: label 1 where the signs of the two coordinates differ.
const rng = new Rng(7);
const points = Array.from({ length: 64 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
const x = tensor(points);
const y = tensor(points.map(([a, b]) => [a * b < 0 ? 1 : 0]));
const optimizer = new Adam(model.parameters(), { learningRate: 0.05 });
const step = compileStep((xs, ys) => modelLoss(model, xs, ys, "bce"), model.parameters());
const losses: number[] = [];
for (let i = 0; i < 200; i++) {
  losses.push(step(x, y).item());
  optimizer.step();
}
const again = fromSpec(model.toSpec());
loadSafetensorsInto(again, modelToSafetensors(model), "in-memory");
const same = modelLoss(again, x, y, "bce").item() === modelLoss(model, x, y, "bce").item();
// One JSON line for the size script, which checks that the bundle really trains.
console.log(JSON.stringify({ first: losses[0], last: losses[losses.length - 1], same }));
