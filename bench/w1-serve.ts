// W1 in tapegrad as a trainer process for bench/w1.ts: the reference MLP job (784-128-64-10,
// leaky-ReLU 0.01, sigmoid + BCE summed over outputs and averaged over the batch, He-normal,
// SGD lr 0.1, batch 128, float32) trained with @tapegrad/nn's fit, one epoch per "epoch" line
// on stdin (JSON answers on stdout, see w1-process.ts).
// `node --import tsx bench/w1-serve.ts [--threads N] [--js] [--eager | --loop] [--relaxed-simd]
// [--dense] [--no-back-off] [--epochs N] [--move]`. --loop trains with the loop a user writes
// first (batches, modelLoss, loss.backward(), optimizer.step(), optimizer.zeroGrad()) instead of
// fit; --move adds the one call that loop can make, moveToResident(model.parameters()).
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Rng, moveToResident } from "@tapegrad/core";
import { Dense, SGD, Sequential, batches, evaluate, fit, modelLoss } from "@tapegrad/nn";
import { readMnistFiles, toImageTensor } from "@tapegrad/mnist";
import { configureFastKernels } from "./fast-kernels.js";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "3" },
    threads: { type: "string" },
    js: { type: "boolean" },
    eager: { type: "boolean" },
    loop: { type: "boolean" },
    move: { type: "boolean" },
    "relaxed-simd": { type: "boolean" },
    dense: { type: "boolean" },
    "no-back-off": { type: "boolean" },
  },
});
const backend = configureFastKernels({
  js: values.js ?? false, threads: values.threads, relaxedSimd: values["relaxed-simd"],
  dense: values.dense, noBackOff: values["no-back-off"],
});

const files = await readMnistFiles();
// The training set lives where the kernels read it in place (WebAssembly memory, see
// toImageTensor); fit gathers each next minibatch into a resident buffer on the helper thread
// while the current step runs, and writes the one-hot targets in place.
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

const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const send = (answer: object) => process.stdout.write(`${JSON.stringify(answer)}\n`);

/** Answers "accuracy" until the next "epoch"; exits on "quit" or the end of stdin. */
async function nextEpoch(): Promise<void> {
  for (;;) {
    const { value, done } = await commands.next();
    const command = done === true ? "quit" : value.trim();
    if (command === "epoch") return;
    if (command === "accuracy") {
      const accuracy = evaluate(model, { x: testX, y: files.test.labels }).accuracy;
      send({ testAccuracy: accuracy ?? NaN });
    } else {
      process.exit(0);
    }
  }
}

const mode = values.loop === true ? "loop" : values.eager === true ? "eager" : "compileStep";
send({ ready: true, backend, mode });
await nextEpoch();
if (values.loop === true) {
  // What fit does for W1, written out as a user would: the same shuffles from the same
  // generator and the same loss, so the same bits, but every step on the eager tape with new
  // tensors for the batch, the gradients and every intermediate.
  if (values.move === true) moveToResident(model.parameters());
  const all = Int32Array.from({ length: files.train.count }, (_, i) => i);
  for (let epoch = 0; epoch < Number(values.epochs); epoch++) {
    const start = performance.now();
    let lastLoss = NaN;
    for (const { x, rows } of batches(trainX, all, 128, { rng })) {
      const labels = Array.from(rows, (row) => files.train.labels[row]);
      const loss = modelLoss(model, x, labels, "bce");
      loss.backward();
      optimizer.step();
      optimizer.zeroGrad();
      lastLoss = loss.item();
    }
    send({ seconds: (performance.now() - start) / 1000, lastLoss });
    await nextEpoch();
  }
  await nextEpoch();
  process.exit(0);
}
// Sigmoid outputs and class labels: BCE on the logits, summed over the 10 outputs, batch mean.
// The same generator drew the weights and shuffles (--eager runs the tape every step).
await fit(model, { x: trainX, y: files.train.labels }, {
  epochs: Number(values.epochs), batchSize: 128, optimizer, rng,
  compile: values.eager !== true,
  onEpochEnd: async (record, run) => {
    const losses = run.history.stepLosses;
    send({ seconds: record.seconds, lastLoss: losses[losses.length - 1] });
    await nextEpoch();
  },
});
await nextEpoch(); // an "accuracy" after the last epoch, then "quit"
