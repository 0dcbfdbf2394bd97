// W1: the reference MLP job (784-128-64-10, leaky-ReLU 0.01, sigmoid + BCE summed over outputs
// and averaged over the batch, He-normal, SGD lr 0.1, batch 128, float32) — epoch seconds
// (median of 3), samples/s and test accuracy after 3 epochs; heap and RSS after each epoch.
// When python3 with NumPy is available, the NumPy seed-style code trains alongside: its epochs
// alternate with ours, so both see the same load, and the ratio is the median of the per-epoch
// ratios. `pnpm bench:w1 [--threads N] [--js] [--eager] [--relaxed-simd] [--dense] [--epochs N]`;
// --dense turns off the skipping of all-zero steps in products (same results, slower).
import { parseArgs } from "node:util";
import {
  type PendingGather, Rng, Tensor, compileStep, gatherAsync, noGrad, residentStorage,
} from "@tapegrad/core";
import { Dense, SGD, Sequential, bceWithLogits } from "@tapegrad/nn";
import { defaultDataDir, readMnistFiles, toImageTensor } from "@tapegrad/mnist";
import { configureFastKernels } from "./fast-kernels.js";
import { NumpySeed } from "./numpy-seed.js";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "3" },
    threads: { type: "string" },
    js: { type: "boolean" },
    eager: { type: "boolean" },
    "relaxed-simd": { type: "boolean" },
    dense: { type: "boolean" },
  },
});
const epochs = Number(values.epochs);
const backendName = configureFastKernels({
  js: values.js ?? false, threads: values.threads, relaxedSimd: values["relaxed-simd"],
  dense: values.dense,
});

const files = await readMnistFiles();
// The training set (toImageTensor puts it there) and the batch buffers live where
// the kernels read them in place (WebAssembly memory): a minibatch is gathered with memory.copy.
const resident = (shape: number[]): Tensor =>
  new Tensor(residentStorage("float32", shape[0] * shape[1]), shape);
const trainX = toImageTensor(files.train);
// The targets: one-hot rows written from the labels (no gather from a 60,000-row table).
const oneHotInto = (y: Tensor, index: Int32Array): Tensor => {
  y.data.fill(0);
  for (let r = 0; r < index.length; r++) y.data[10 * r + files.train.labels[index[r]]] = 1;
  return y;
};
const testX = toImageTensor(files.test);

const rng = new Rng(0);
const layer = (inputSize: number, outputSize: number, activation: "leakyRelu" | "sigmoid") =>
  new Dense({ inputSize, outputSize, activation, alpha: 0.01, init: "heNormal", rng });
const model = new Sequential([
  layer(784, 128, "leakyRelu"),
  layer(128, 64, "leakyRelu"),
  layer(64, 10, "sigmoid"),
]);
const optimizer = new SGD(model.parameters(), { learningRate: 0.1 });
const batchSize = 128;
const lossOf = (x: Tensor, y: Tensor) =>
  bceWithLogits(model.logits(x), y, { reduction: "batchMean" });
// Compiled: traced once per batch shape, then replayed; --eager runs the tape every step.
const compiled = compileStep(lossOf, model.parameters());
const step = values.eager
  ? (x: Tensor, y: Tensor) => {
    const loss = lossOf(x, y);
    loss.backward();
    return loss;
  }
  : compiled;

// Two pairs of batch buffers per batch size (the last batch is smaller), used in turn: a
// helper thread gathers the next batch's images into one while the step reads the other.
const buffers = new Map<string, [Tensor, Tensor]>();
const batchBuffers = (rows: number, turn: number): [Tensor, Tensor] => {
  const key = `${rows} ${turn % 2}`;
  let pair = buffers.get(key);
  if (pair === undefined) {
    pair = [resident([rows, 784]), resident([rows, 10])];
    buffers.set(key, pair);
  }
  return pair;
};

const numpy = await NumpySeed.start(defaultDataDir());
const numpySeconds: number[] = [];
const epochSeconds: number[] = [];
// Milliseconds per epoch in batch gathering, forward + backward, and the optimizer step.
const breakdown: string[] = [];
const memory: string[] = []; // heap/RSS in MiB after each epoch
let lastLoss = NaN;
for (let epoch = 0; epoch < epochs; epoch++) {
  const order = rng.shuffle(Int32Array.from({ length: files.train.count }, (_, i) => i));
  const start = performance.now();
  const phases = [0, 0, 0];
  const prefetch = (s: number): PendingGather => {
    const index = order.subarray(s, s + batchSize);
    return gatherAsync(trainX, index, batchBuffers(index.length, s / batchSize)[0]);
  };
  let next = prefetch(0);
  for (let s = 0; s < order.length; s += batchSize) {
    const index = order.subarray(s, s + batchSize);
    const t0 = performance.now();
    const x = next.wait();
    if (s + batchSize < order.length) next = prefetch(s + batchSize);
    const y = oneHotInto(batchBuffers(index.length, s / batchSize)[1], index);
    const t1 = performance.now();
    optimizer.zeroGrad();
    const loss = step(x, y);
    const t2 = performance.now();
    optimizer.step();
    phases[0] += t1 - t0;
    phases[1] += t2 - t1;
    phases[2] += performance.now() - t2;
    lastLoss = loss.item();
  }
  epochSeconds.push((performance.now() - start) / 1000);
  breakdown.push(phases.map((ms) => ms.toFixed(0)).join("/"));
  const { heapUsed, rss } = process.memoryUsage();
  memory.push(`${(heapUsed / 2 ** 20).toFixed(0)}/${(rss / 2 ** 20).toFixed(0)}`);
  if (numpy instanceof NumpySeed) numpySeconds.push(await numpy.epoch());
}
const predictions = noGrad(() => model.logits(testX).argmax(1));
let correct = 0;
for (let i = 0; i < files.test.count; i++) {
  if (predictions.data[i] === files.test.labels[i]) correct++;
}
const medianOf = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const median = medianOf(epochSeconds);
const seconds = (xs: readonly number[]) => xs.map((s) => s.toFixed(3)).join(", ");
console.log(`tapegrad (${backendName}, ${values.eager ? "eager" : "compileStep"}): ` +
  `epoch seconds ${seconds(epochSeconds)}; ` +
  `median ${median.toFixed(3)} s, ${Math.round(files.train.count / median)} samples/s; ` +
  `test accuracy after ${epochs} epochs ${(100 * correct / files.test.count).toFixed(2)} %; ` +
  `last loss ${lastLoss.toFixed(4)}`);
console.log(`ms per epoch in gather/step/optimizer: ${breakdown.join(", ")}`);
console.log(`heap/RSS MiB after each epoch: ${memory.join(", ")}`);

if (numpy instanceof NumpySeed) {
  const accuracy = await numpy.accuracy();
  numpy.close();
  const ratios = epochSeconds.map((s, i) => s / numpySeconds[i]);
  console.log("NumPy seed code (OpenBLAS, 1 thread), epochs alternating with ours: " +
    `epoch seconds ${seconds(numpySeconds)}; median ${medianOf(numpySeconds).toFixed(3)} s; ` +
    `test accuracy ${(100 * accuracy).toFixed(2)} %`);
  console.log(`ratio tapegrad / NumPy per epoch: ${ratios.map((r) => r.toFixed(2)).join(", ")}; ` +
    `median ${medianOf(ratios).toFixed(2)} (target ≤ 1.00)`);
} else {
  console.log(`NumPy seed code: not run (${numpy.reason})`);
}
