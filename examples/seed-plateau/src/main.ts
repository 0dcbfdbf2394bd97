// The seed question's MNIST plateau: reproduced with zero init, diagnosed, fixed by He init.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TrainingMonitor, baselineLoss, diagnose, formatFindings, targetMeans } from "@tapegrad/nn";
import { lossCurveSvg, smooth } from "./loss-curve.js";
import {
  evaluate, head, largestWeight, loadData, outputBiases, seedNetwork, trainFullBatch,
  trainMinibatch,
} from "./seed-network.js";

const full = process.argv.includes("--full");
const count = full ? 60000 : 2000;
const zeroRun = { steps: 30, learningRate: 4 };
const heRun = { epochs: full ? 3 : 10, batchSize: 50, learningRate: 0.5 };
const DIAGNOSE = 2000;
const f = (v: number, digits = 5): string => v.toFixed(digits).padStart(digits + 4);

const { train, test } = await loadData(count);
const baseline = baselineLoss(train.y, { loss: "bce" });
const p = targetMeans(train.y);
console.log(
  "The seed's network: 784-128-64-10, leaky ReLU (0.01), sigmoid outputs, BCE summed over the\n" +
    "10 outputs and averaged over the batch. " +
    `Data: the first ${count} real MNIST training images.\n` +
    "Constant-predictor baseline −Σ_k [p_k ln p_k + (1−p_k) ln(1−p_k)] = " +
    `${baseline.toFixed(5)} (10·ln 2 = ${(10 * Math.LN2).toFixed(5)})\n`,
);

console.log(`1. Every weight and bias 0; full-batch gradient descent, lr ${zeroRun.learningRate}`);
const zeros = seedNetwork("zeros");
const monitor = new TrainingMonitor({ baseline, window: 5 });
const zeroLosses = await trainFullBatch(zeros, train, zeroRun.steps, zeroRun.learningRate,
  monitor);
const zeroFinal = evaluate(zeros, train).loss;
console.log("   step      loss  baseline");
for (const step of [0, 1, 2, 5, 10, 20, zeroRun.steps - 1]) {
  console.log(`   ${String(step).padStart(4)} ${f(zeroLosses[step])} ${f(baseline)}`);
}
const gap = (zeroFinal - baseline).toExponential(1);
console.log(`    end ${f(zeroFinal)} ${f(baseline)}   (difference ${gap})`);
console.log("   the training monitor, watching the loss:");
console.log(indent(formatFindings(monitor.findings)));
console.log(`   largest |weight| after training: ${largestWeight(zeros)}` +
  (largestWeight(zeros) === 0 ? " (every weight is still exactly 0)" : ""));
console.log("   output biases against logit(p_k) = ln(p_k / (1 − p_k)):");
outputBiases(zeros).forEach((b, k) => {
  const logit = Math.log(p[k] / (1 - p[k]));
  console.log(`     digit ${k}: p_k ${p[k].toFixed(4)}  bias ${f(b)}  logit(p_k) ${f(logit)}`);
});

console.log(`\n2. diagnose() on the trained zero-initialised network, ${DIAGNOSE} images:`);
const batch = head(train, DIAGNOSE);
console.log(indent(formatFindings(diagnose(zeros, batch, { learningRate: zeroRun.learningRate }))));

console.log(
  `\n3. The fix: the same network with He initialisation; minibatch SGD ` +
    `(batch ${heRun.batchSize}, lr ${heRun.learningRate}, ${heRun.epochs} epochs)`,
);
const he = seedNetwork("heNormal");
const heFindings = diagnose(he, batch, { learningRate: heRun.learningRate });
const heLosses = await trainMinibatch(he, train, heRun.epochs, heRun.batchSize,
  heRun.learningRate);
const heTrain = evaluate(he, train);
const heTest = evaluate(he, test);
const serious = heFindings.filter((finding) => finding.severity !== "info");
console.log(`   diagnose() before training: ${serious.length} errors or warnings` +
  serious.map((x) => `\n     ${x.severity} ${x.code} [${x.layer}] ${x.value.toPrecision(3)}`)
    .join(""));
console.log(`   training loss ${heTrain.loss.toFixed(4)} (baseline ${baseline.toFixed(4)}), ` +
  `training accuracy ${(100 * heTrain.accuracy).toFixed(2)}%`);
const zeroTest = evaluate(zeros, test);
console.log(`   test accuracy on all ${test.labels.length} test images: ` +
  `${(100 * heTest.accuracy).toFixed(2)}% (zero init: ${(100 * zeroTest.accuracy).toFixed(2)}%)`);

const out = fileURLToPath(new URL("../dist/loss-curves.svg", import.meta.url));
mkdirSync(fileURLToPath(new URL("../dist/", import.meta.url)), { recursive: true });
const heSmooth = smooth(heLosses, 20);
writeFileSync(out, lossCurveSvg([
  { label: "zero init (full-batch GD)", color: "#c33",
    points: zeroLosses.map((l, i) => [i * count, l]) },
  { label: "He init (minibatch SGD, 20-step mean)", color: "#27c",
    points: heSmooth.map((l, i) => [(i + 1) * heRun.batchSize, l]) },
], baseline, "training samples processed", "The seed's plateau: loss against samples processed",
  "loss (BCE summed over the 10 outputs)"));
console.log(`\nLoss curves of both runs, with the baseline: ${out}`);

function indent(text: string): string {
  return text.split("\n").map((line) => (line ? `   ${line}` : line)).join("\n");
}
