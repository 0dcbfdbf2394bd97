// Trains both examples and prints what they reach: `pnpm --filter own-data start`.
import { moons } from "./moons.js";
import { regression } from "./regression.js";

const classifier = await moons();
console.log(classifier.model.summary());
const last = classifier.history.epochs[classifier.history.epochs.length - 1];
console.log(`2 moons: validation accuracy ${percent(last.validationAccuracy)} after ` +
  `${last.epoch} epochs; test accuracy ${percent(classifier.test.accuracy)} on 500 new ` +
  `points; reloaded model ${percent(classifier.reloaded.accuracy)}`);

const fitted = await regression();
const stop = fitted.history.stopped;
const { test } = fitted;
console.log(`\nsin(2a)·cos(b): test MSE ${test.loss.toFixed(5)}, MAE ${test.mae?.toFixed(4)} ` +
  `(predicting the mean: MSE ${test.baselineLoss.toFixed(4)}); reloaded model MSE ` +
  `${fitted.reloaded.loss.toFixed(5)}` +
  (stop ? `\nearly stopping: ${stop.message}` : ""));

function percent(x: number | null): string {
  return x === null ? "—" : `${(100 * x).toFixed(1)} %`;
}
