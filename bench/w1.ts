// W1: the reference MLP job (784-128-64-10, leaky-ReLU 0.01, sigmoid + BCE summed over outputs
// and averaged over the batch, He-normal, SGD lr 0.1, batch 128, float32) — epoch seconds
// (median of 3), samples/s and test accuracy after 3 epochs; heap and RSS after each epoch.
// Trained with @tapegrad/nn's fit (compiled steps, minibatches gathered on the helper thread).
// When python3 with NumPy is available, the NumPy seed-style code trains alongside: its epochs
// alternate with ours, so both see the same load, and the ratio is the median of the per-epoch
// ratios. `pnpm bench:w1 [--threads N] [--js] [--eager] [--relaxed-simd] [--dense] [--epochs N]`;
// --dense turns off the skipping of all-zero steps in products (same results, slower).
import { parseArgs } from "node:util";
import { Rng } from "@tapegrad/core";
import { Dense, SGD, Sequential, evaluate, fit } from "@tapegrad/nn";
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
// The training set lives where the kernels read it in place (WebAssembly memory, see
// toImageTensor); fit gathers each next minibatch into a resident buffer on the helper thread
// (memory.copy) while the current step runs, and writes the one-hot targets in place.
const trainX = toImageTensor(files.train);
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

const numpy = await NumpySeed.start(defaultDataDir());
const numpySeconds: number[] = [];
const epochSeconds: number[] = [];
const memory: string[] = []; // heap/RSS in MiB after each epoch
// Sigmoid outputs and class labels: BCE on the logits, summed over the 10 outputs, batch mean.
// The same generator drew the weights and shuffles (--eager runs the tape every step).
const history = await fit(model, { x: trainX, y: files.train.labels }, {
  epochs, batchSize: 128, optimizer, rng, compile: values.eager !== true,
  onEpochEnd: async (record) => {
    epochSeconds.push(record.seconds);
    const { heapUsed, rss } = process.memoryUsage();
    memory.push(`${(heapUsed / 2 ** 20).toFixed(0)}/${(rss / 2 ** 20).toFixed(0)}`);
    if (numpy instanceof NumpySeed) numpySeconds.push(await numpy.epoch());
  },
});
const lastLoss = history.stepLosses[history.stepLosses.length - 1];
const accuracy = evaluate(model, { x: testX, y: files.test.labels }).accuracy ?? Number.NaN;
const medianOf = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const median = medianOf(epochSeconds);
const seconds = (xs: readonly number[]) => xs.map((s) => s.toFixed(3)).join(", ");
console.log(`tapegrad (${backendName}, ${values.eager ? "eager" : "compileStep"}): ` +
  `epoch seconds ${seconds(epochSeconds)}; ` +
  `median ${median.toFixed(3)} s, ${Math.round(files.train.count / median)} samples/s; ` +
  `test accuracy after ${epochs} epochs ${(100 * accuracy).toFixed(2)} %; ` +
  `last loss ${lastLoss.toFixed(4)}`);
console.log(`heap/RSS MiB after each epoch: ${memory.join(", ")}`);

if (numpy instanceof NumpySeed) {
  const numpyAccuracy = await numpy.accuracy();
  numpy.close();
  const ratios = epochSeconds.map((s, i) => s / numpySeconds[i]);
  console.log("NumPy seed code (OpenBLAS, 1 thread), epochs alternating with ours: " +
    `epoch seconds ${seconds(numpySeconds)}; median ${medianOf(numpySeconds).toFixed(3)} s; ` +
    `test accuracy ${(100 * numpyAccuracy).toFixed(2)} %`);
  console.log(`ratio tapegrad / NumPy per epoch: ${ratios.map((r) => r.toFixed(2)).join(", ")}; ` +
    `median ${medianOf(ratios).toFixed(2)} (target ≤ 1.00)`);
} else {
  console.log(`NumPy seed code: not run (${numpy.reason})`);
}
