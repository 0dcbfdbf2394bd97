// Classification on your own data: fit a 2-moons set, measure it, save and reload the model.
import { Rng } from "@tapegrad/core";
import {
  Adam, type Evaluation, type History, type Model, evaluate, fit, fromSpec, loadSafetensorsInto,
  modelToSafetensors, parseSpec,
} from "@tapegrad/nn";
import { twoMoons } from "./data.js";

/** Trains a 2-32-1 network on 1000 points; evaluates it (and its reloaded copy) on 500 new ones. */
export async function moons(): Promise<{
  model: Model; history: History; test: Evaluation; reloaded: Evaluation;
}> {
  const model = fromSpec({ input: 2, seed: 1, layers: [
    { type: "dense", units: 32, activation: "relu", init: "heNormal" },
    { type: "dense", units: 1, activation: "sigmoid" }, // one unit: binary, BCE on the logits
  ] });
  const history = await fit(model, twoMoons(1000, new Rng(1)), {
    epochs: 30, batchSize: 32, validationSplit: 0.2, seed: 2,
    optimizer: new Adam(model.parameters(), { learningRate: 0.01 }),
  });
  const testSet = twoMoons(500, new Rng(2));
  // Save: the weights as safetensors bytes and the spec as JSON (store them anywhere).
  const weights = modelToSafetensors(model);
  const spec = JSON.stringify(model.toSpec());
  // Reload: build the model from the spec and copy the weights in.
  const copy = fromSpec(parseSpec(JSON.parse(spec)));
  loadSafetensorsInto(copy, weights);
  return { model, history, test: evaluate(model, testSet), reloaded: evaluate(copy, testSet) };
}
