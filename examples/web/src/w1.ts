// The W1 job of bench/w1.ts: 784-128-64-10, leaky-ReLU 0.01, sigmoid outputs with BCE summed
// over them and averaged over the batch, He-normal, SGD lr 0.1, batch 128, float32, through fit.
// Shared by the page's bench worker and the Node side of scripts/bench-w1.ts, so both train the
// same way; hooks around each epoch let the two take turns.
import { Rng, Tensor } from "@tapegrad/core";
import { Dense, SGD, Sequential, evaluate, fit } from "@tapegrad/nn";
import { type MnistFiles, toImageTensor } from "@tapegrad/mnist/browser";

/** Called before and after each epoch (1-based); the run waits for `before`. */
export interface W1Hooks {
  before(epoch: number): Promise<void>;
  after(epoch: number, seconds: number): void;
}

/** Trains W1 for `epochs` and returns each epoch's seconds and the test accuracy. */
export async function trainW1(
  files: MnistFiles, epochs: number, hooks: W1Hooks,
): Promise<{ epochSeconds: number[]; testAccuracy: number }> {
  const x = toImageTensor(files.train);
  const rng = new Rng(0);
  const layer = (inputSize: number, outputSize: number, activation: "leakyRelu" | "sigmoid") =>
    new Dense({ inputSize, outputSize, activation, alpha: 0.01, init: "heNormal", rng });
  const model = new Sequential(
    [layer(784, 128, "leakyRelu"), layer(128, 64, "leakyRelu"), layer(64, 10, "sigmoid")]);
  const optimizer = new SGD(model.parameters(), { learningRate: 0.1 });
  const epochSeconds: number[] = [];
  await fit(model, { x, y: files.train.labels }, {
    epochs, batchSize: 128, optimizer, rng,
    callbacks: [{
      onEpochBegin: (epoch) => hooks.before(epoch),
      onEpochEnd: (record) => {
        epochSeconds.push(record.seconds);
        hooks.after(record.epoch, record.seconds);
      },
    }],
  });
  const testX: Tensor = toImageTensor(files.test);
  const testAccuracy = evaluate(model, { x: testX, y: files.test.labels }).accuracy ?? Number.NaN;
  return { epochSeconds, testAccuracy };
}
