// The seed's network (784-128-64-10, leaky ReLU, sigmoid outputs, summed BCE) and its training.
import { type Tensor, Rng, argmax, gather, noGrad, oneHot, slice } from "@tapegrad/core";
import { readMnistFiles, toImageTensor, type MnistSplit } from "@tapegrad/mnist";
import { Dense, SGD, Sequential, bceWithLogits, type TrainingMonitor } from "@tapegrad/nn";

/** Images [count, 784] in [0, 1], one-hot targets [count, 10] and the labels. */
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

/** The seed's cost: BCE summed over the 10 outputs, averaged over the batch (on logits). */
export function seedLoss(model: Sequential, x: Tensor, y: Tensor): Tensor {
  return bceWithLogits(model.logits(x), y, { reduction: "batchMean" });
}

/** Full-batch gradient descent, as in the seed; returns the loss before each step. */
export function trainFullBatch(
  model: Sequential, data: Data, steps: number, learningRate: number, monitor?: TrainingMonitor,
): number[] {
  const optimizer = new SGD(model.parameters(), { learningRate });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = seedLoss(model, data.x, data.y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
    monitor?.step(losses[step]);
  }
  return losses;
}

/** Minibatch SGD over shuffled data; returns every step's minibatch loss. */
export function trainMinibatch(
  model: Sequential, data: Data, epochs: number, batchSize: number, learningRate: number,
): number[] {
  const optimizer = new SGD(model.parameters(), { learningRate });
  const rng = new Rng(7);
  const count = data.labels.length;
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform(0, i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start + batchSize <= count; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      optimizer.zeroGrad();
      const loss = seedLoss(model, gather(data.x, rows), gather(data.y, rows));
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
  }
  return losses;
}

/** Loss and accuracy over a whole data set, in chunks, without recording. */
export function evaluate(model: Sequential, data: Data): { loss: number; accuracy: number } {
  const count = data.labels.length;
  let loss = 0;
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < count; start += 2000) {
      const end = Math.min(count, start + 2000);
      const x = slice(data.x, [start, 0], [end, 784]);
      const y = slice(data.y, [start, 0], [end, 10]);
      loss += seedLoss(model, x, y).item() * (end - start);
      const predicted = argmax(model.logits(x), 1);
      for (let i = start; i < end; i++) {
        if (predicted.data[i - start] === data.labels[i]) correct++;
      }
    }
  });
  return { loss: loss / count, accuracy: correct / count };
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
