// C1: the reference CNN job of issue 15 — conv 1→16 5×5 pad 2, relu, maxpool 2; conv 16→32
// 5×5 pad 2, relu, maxpool 2; flatten; dense 1568→128, relu; dense 128→10; softmax
// cross-entropy; Adam 1e-3; batch 64; float32; pixels in [0, 1]; reshuffled each epoch —
// trained with @tapegrad/nn's fit (compiled steps). Prints each epoch's seconds and RSS, the
// median epoch, samples/s, test accuracy and peak RSS. When a Python with torch is found
// (TAPEGRAD_PYTHON, else python3, else /usr/bin/python3), PyTorch trains C1 in the same run,
// its epochs alternating with ours on as many threads, and the ratio is the median of the
// per-epoch ratios. `pnpm bench:c1 [--epochs N] [--threads N] [--eager] [--no-torch]
// [--no-back-off]`: --no-back-off always splits threaded work (no trials of the caller alone).
import { parseArgs } from "node:util";
import { Rng } from "@tapegrad/core";
import { Adam, evaluate, fit, fromSpec } from "@tapegrad/nn";
import { defaultDataDir, readMnistFiles, toImageTensor } from "@tapegrad/mnist";
import { configureFastKernels } from "./fast-kernels.js";
import { TorchC1, findTorchPython } from "./torch-c1.js";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    eager: { type: "boolean" },
    "no-torch": { type: "boolean" },
    "no-back-off": { type: "boolean" },
  },
});
const epochs = Number(values.epochs);
const threads = Number(values.threads);
const backend = configureFastKernels({
  js: false, threads: values.threads, noBackOff: values["no-back-off"],
});

const files = await readMnistFiles();
const trainX = toImageTensor(files.train).reshape([files.train.count, 1, 28, 28]);
const testX = toImageTensor(files.test).reshape([files.test.count, 1, 28, 28]);

const model = fromSpec({
  input: [1, 28, 28], seed: 0,
  layers: [
    { type: "conv2d", outChannels: 16, kernelSize: 5, padding: 2, activation: "relu",
      init: "heNormal" },
    { type: "maxPool2d", kernelSize: 2 },
    { type: "conv2d", outChannels: 32, kernelSize: 5, padding: 2, activation: "relu",
      init: "heNormal" },
    { type: "maxPool2d", kernelSize: 2 },
    { type: "flatten" },
    { type: "dense", units: 128, activation: "relu", init: "heNormal" },
    { type: "dense", units: 10 },
  ],
});

const found = values["no-torch"] === true ? { reason: "--no-torch" } : findTorchPython();
const torch = "python" in found
  ? await TorchC1.start(found.python, defaultDataDir(), threads) : found;
const mib = (bytes: number) => bytes / 2 ** 20;
const rssPerEpoch: number[] = [];
const torchSeconds: number[] = [];
const seconds: number[] = [];
const history = await fit(model, { x: trainX, y: files.train.labels }, {
  epochs, batchSize: 64, rng: new Rng(1), compile: values.eager !== true,
  optimizer: new Adam(model.parameters(), { learningRate: 1e-3 }),
  onEpochEnd: async (record) => {
    seconds.push(record.seconds);
    rssPerEpoch.push(mib(process.memoryUsage().rss));
    console.log(`tapegrad epoch ${record.epoch}: ${record.seconds.toFixed(2)} s, loss ` +
      `${record.trainLoss.toFixed(4)}, RSS ${rssPerEpoch.at(-1)?.toFixed(0)} MiB`);
    if (torch instanceof TorchC1) {
      torchSeconds.push(await torch.epoch());
      console.log(`PyTorch  epoch ${record.epoch}: ${torchSeconds.at(-1)?.toFixed(2)} s`);
    }
  },
});
const accuracy = evaluate(model, { x: testX, y: files.test.labels }).accuracy ?? Number.NaN;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peak = process.resourceUsage().maxRSS / 1024; // KiB → MiB
const list = (xs: readonly number[]) => xs.map((s) => s.toFixed(2)).join(", ");
console.log(`\nC1, tapegrad (${backend}, ${values.eager ? "eager" : "compileStep"}): epoch ` +
  `seconds ${list(seconds)}; median ${median(seconds).toFixed(2)} s, ` +
  `${Math.round(files.train.count / median(seconds))} samples/s; test accuracy after ` +
  `${history.epochs.length} epochs ${(100 * accuracy).toFixed(2)} %; RSS per epoch ` +
  `${rssPerEpoch.map((r) => r.toFixed(0)).join(", ")} MiB; peak RSS ${peak.toFixed(0)} MiB`);
if (torch instanceof TorchC1) {
  const result = await torch.accuracy();
  torch.close();
  const ratios = seconds.map((s, i) => s / torchSeconds[i]);
  console.log(`C1, PyTorch ${"version" in found ? found.version : ""} (${threads} thread(s), ` +
    `epochs alternating with ours): epoch seconds ${list(torchSeconds)}; median ` +
    `${median(torchSeconds).toFixed(2)} s; test accuracy ${(100 * result.testAccuracy)
      .toFixed(2)} %; peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
  console.log(`ratio tapegrad / PyTorch per epoch: ${list(ratios)}; median ` +
    `${median(ratios).toFixed(2)} (target ≤ 1.50)`);
} else {
  console.log(`PyTorch: not run (${torch.reason})`);
}
