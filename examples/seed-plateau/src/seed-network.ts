// The seed's network (784-128-64-10, leaky ReLU, sigmoid outputs, summed BCE) and its training.
import { type Tensor, Rng, oneHot, slice } from "@tapegrad/core";
import { readMnistFiles, toImageTensor, type MnistSplit } from "@tapegrad/mnist";
import {
  Dense, SGD, Sequential, type TrainingMonitor, evaluate as evaluateModel, fit, monitorTraining,
} from "@tapegrad/nn";

/** Images [count, 784] in [0, 1], one-hot targets [count, 10] and the labels (fit's x and y). */
export interface Data {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly labels: Uint8Array;
}

function toData(split: MnistSplit, count: number): Data {
  const labels = split.labels.subarray(0, count);
  return { x: toImageTensor(split, count), y: oneHot(Array.from(labels), 10), labels };
}

/** The first `trainCount` training images and the whole test set of the real MNIST files. */
export async function loadData(trainCount: number): Promise<{ train: Data; test: Data }> {
  const files = await readMnistFiles();
  return {
    train: toData(files.train, Math.min(trainCount, files.train.count)),
    test: toData(files.test, files.test.count),
  };
}

/** The seed's 784-128-64-10 network; every weight and bias 0 with init "zeros". */
export function seedNetwork(init: "zeros" | "heNormal", seed = 1): Sequential {
  const sizes = [784, 128, 64, 10];
  return new Sequential(sizes.slice(1).map((outputSize, i) => new Dense({
    inputSize: sizes[i], outputSize, init, seed: seed + i, alpha: 0.01,
    activation: i === 2 ? "sigmoid" : "leakyRelu",
  })));
}

/**
 * Full-batch gradient descent, as in the seed: fit with one batch of every sample, in order.
 * fit picks the seed's cost for sigmoid outputs and one-hot targets: BCE on the logits, summed
 * over the 10 outputs and averaged over the batch. Returns the loss before each step.
 */
export async function trainFullBatch(
  model: Sequential, data: Data, steps: number, learningRate: number, monitor?: TrainingMonitor,
): Promise<number[]> {
  const history = await fit(model, data, {
    epochs: steps, batchSize: data.labels.length, shuffle: false,
    optimizer: new SGD(model.parameters(), { learningRate }),
    callbacks: monitor === undefined ? [] : [monitorTraining(monitor)],
  });
  return history.stepLosses;
}

/** Minibatch SGD over data shuffled every epoch; returns every step's minibatch loss. */
export async function trainMinibatch(
  model: Sequential, data: Data, epochs: number, batchSize: number, learningRate: number,
): Promise<number[]> {
  const history = await fit(model, data, {
    epochs, batchSize, rng: new Rng(7), optimizer: new SGD(model.parameters(), { learningRate }),
  });
  return history.stepLosses;
}

/** Loss and accuracy over a whole data set, in chunks of 2000, without recording. */
export function evaluate(model: Sequential, data: Data): { loss: number; accuracy: number } {
  const { loss, accuracy } = evaluateModel(model, data, { batchSize: 2000 });
  return { loss, accuracy: accuracy ?? Number.NaN };
}

/** Largest |w| over every weight matrix (not the biases). */
export function largestWeight(model: Sequential): number {
  let largest = 0;
  for (const [name, p] of model.namedParameters()) {
    if (!name.endsWith("weight")) continue;
    for (let i = 0; i < p.size; i++) largest = Math.max(largest, Math.abs(p.data[i]));
  }
  return largest;
}

/** The output layer's biases. */
export function outputBiases(model: Sequential): number[] {
  const last = model.layers[model.layers.length - 1] as Dense;
  return Array.from(last.bias?.data ?? []);
}

/** The first `count` samples. */
export function head(data: Data, count: number): { x: Tensor; y: Tensor } {
  const n = Math.min(count, data.labels.length);
  return { x: slice(data.x, [0, 0], [n, 784]), y: slice(data.y, [0, 0], [n, 10]) };
}
