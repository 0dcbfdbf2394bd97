// Regression on your own data: fit a function of two inputs with MSE, save and reload the model.
import { Rng } from "@tapegrad/core";
import {
  Adam, type Evaluation, type History, type Model, earlyStopping, evaluate, fit, fromSpec,
  loadSafetensorsInto, modelToSafetensors, parseSpec,
} from "@tapegrad/nn";
import { wave } from "./data.js";

/** Trains a 2-64-64-1 tanh network on 2000 points; evaluates it (and its copy) on 1000 new ones. */
export async function regression(): Promise<{
  model: Model; history: History; test: Evaluation; reloaded: Evaluation;
}> {
  const model = fromSpec({ input: 2, seed: 3, layers: [
    { type: "dense", units: 64, activation: "tanh" },
    { type: "dense", units: 64, activation: "tanh" },
    { type: "dense", units: 1 }, // identity output and real targets: MSE, with MAE reported
  ] });
  const history = await fit(model, wave(2000, new Rng(3)), {
    epochs: 60, batchSize: 32, validationSplit: 0.2, seed: 4,
    optimizer: new Adam(model.parameters(), { learningRate: 3e-3 }),
    callbacks: [earlyStopping({ patience: 8, restoreBestWeights: true })],
  });
  const testSet = wave(1000, new Rng(4));
  const weights = modelToSafetensors(model);
  const copy = fromSpec(parseSpec(JSON.parse(JSON.stringify(model.toSpec()))));
  loadSafetensorsInto(copy, weights);
  return { model, history, test: evaluate(model, testSet), reloaded: evaluate(copy, testSet) };
}
