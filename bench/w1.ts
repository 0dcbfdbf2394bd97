// W1: the reference MLP job (784-128-64-10, leaky-ReLU 0.01, sigmoid + BCE summed over outputs
// and averaged over the batch, He-normal, SGD lr 0.1, batch 128, float32) — epoch seconds
// (median of 3), samples/s and test accuracy after 3 epochs; heap and RSS after each epoch.
// When python3 with NumPy is available, the NumPy seed-style code trains alongside: its epochs
// alternate with ours, so both see the same load, and the ratio is the median of the per-epoch
// ratios. `pnpm bench:w1 [--threads N] [--js] [--eager] [--relaxed-simd] [--dense] [--epochs N]`;
// --dense turns off the skipping of all-zero steps in products (same results, slower).
import { parseArgs } from "node:util";
import { Rng, Tensor, compileStep, noGrad, residentStorage } from "@tapegrad/core";
import { Dense, SGD, Sequential, bceWithLogits } from "@tapegrad/nn";
import {
  type DataSplit, batches, defaultDataDir, readMnistFiles, toImageTensor,
} from "@tapegrad/mnist";
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
// The training set lives where the kernels read it in place (WebAssembly memory, see
// toImageTensor), and `batches(…, { reuse: true })` gathers each next minibatch into a resident
// buffer on the helper thread (memory.copy) while the current step runs.
const trainSet: DataSplit = {
  images: toImageTensor(files.train), labels: files.train.labels,
  indices: Int32Array.from({ length: files.train.count }, (_, i) => i),
};
// The targets: one-hot rows written from the labels into a resident buffer per batch size.
const targets = new Map<number, Tensor>();
const oneHotInto = (labels: Int32Array): Tensor => {
  let y = targets.get(labels.length);
  if (y === undefined) {
    y = new Tensor(residentStorage("float32", 10 * labels.length), [labels.length, 10]);
    targets.set(labels.length, y);
  }
  y.data.fill(0);
  for (let r = 0; r < labels.length; r++) y.data[10 * r + labels[r]] = 1;
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

const numpy = await NumpySeed.start(defaultDataDir());
const numpySeconds: number[] = [];
const epochSeconds: number[] = [];
// Milliseconds per epoch in batch gathering, forward + backward, and the optimizer step.
const breakdown: string[] = [];
const memory: string[] = []; // heap/RSS in MiB after each epoch
let lastLoss = NaN;
for (let epoch = 0; epoch < epochs; epoch++) {
  const start = performance.now();
  const phases = [0, 0, 0];
  const epochBatches = batches(trainSet, batchSize, rng, { reuse: true });
  for (;;) {
    const t0 = performance.now();
    const next = epochBatches.next();
    if (next.done === true) break;
    const { x, labels } = next.value;
    const y = oneHotInto(labels);
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
