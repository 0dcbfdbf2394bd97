// C1 step timing through the core ops (no layers): conv 1→16 5×5 pad 2 + relu, maxpool 2,
// conv 16→32 5×5 pad 2 + relu, maxpool 2, flatten, dense 1568→128 relu, dense 128→10,
// softmax cross-entropy, Adam 1e-3, batch 64, real MNIST, compiled with compileStep. Prints
// the median ms per step (after 50 warm-up steps) and the epoch that makes (937.5 steps).
// Usage: node --import tsx bench/c1-steps.ts [THREADS=2] [STEPS=300]
import {
  Rng, Tensor, classProbabilities, compileStep, conv2d, flatten, linear, logSoftmax, maxPool2d,
  mean, mul, neg, randn, residentStorage, setNumThreads, sum, zeros,
} from "@tapegrad/core";
import { Adam, batches } from "@tapegrad/nn";
import { readMnistFiles, toImageTensor } from "@tapegrad/mnist";

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 300);
setNumThreads(threads);
const files = await readMnistFiles();
const images = toImageTensor(files.train);
const indices = Int32Array.from({ length: files.train.count }, (_, i) => i);
const he = (shape: number[], fanIn: number, seed: number) =>
  randn(shape, { seed }).mul(Math.sqrt(2 / fanIn)).detach().requireGrad();
const p = {
  w1: he([16, 1, 5, 5], 25, 1), b1: zeros([16], { requiresGrad: true }),
  w2: he([32, 16, 5, 5], 400, 2), b2: zeros([32], { requiresGrad: true }),
  w3: he([1568, 128], 1568, 3), b3: zeros([128], { requiresGrad: true }),
  w4: he([128, 10], 128, 4), b4: zeros([10], { requiresGrad: true }),
};
const params = Object.values(p);
const loss = (x: Tensor, labels: Tensor) => {
  let h = conv2d(x.reshape([-1, 1, 28, 28]), p.w1, p.b1, { padding: 2, activation: "relu" });
  h = maxPool2d(h, { kernelSize: 2 });
  h = conv2d(h, p.w2, p.b2, { padding: 2, activation: "relu" });
  h = maxPool2d(h, { kernelSize: 2 });
  const z = linear(flatten(h, 1), p.w3, p.b3, { activation: "relu" });
  const logits = linear(z, p.w4, p.b4);
  return neg(mean(sum(mul(classProbabilities(labels, 10), logSoftmax(logits, 1)), 1)));
};
const step = compileStep(loss, params);
const optimizer = new Adam(params, { learningRate: 1e-3 });
const labels = new Tensor(residentStorage("float32", 64), [64]);
const rng = new Rng(0);
const [total, forwardBackward, adam] = [[], [], []] as number[][];
let lastLoss = NaN;
while (total.length < steps) {
  for (const { x, rows } of batches(images, indices, 64, { rng, reuse: true })) {
    if (x.shape[0] !== 64) continue;
    const t0 = performance.now();
    for (let i = 0; i < 64; i++) labels.data[i] = files.train.labels[rows[i]];
    const t1 = performance.now();
    const value = step(x, labels);
    const t2 = performance.now();
    optimizer.step();
    const t3 = performance.now();
    total.push(t3 - t0);
    forwardBackward.push(t2 - t1);
    adam.push(t3 - t2);
    if (total.length % 100 === 0) lastLoss = value.item();
    if (total.length >= steps) break;
  }
}
const median = (xs: number[]) => [...xs.slice(50)].sort((a, b) => a - b)[(xs.length - 50) >> 1];
console.log(`C1 through the core ops, ${threads} thread(s), ${steps} steps: median ` +
  `${median(total).toFixed(2)} ms/step (forward+backward ${median(forwardBackward).toFixed(2)}, ` +
  `Adam ${median(adam).toFixed(2)}); an epoch of 937.5 steps: ` +
  `${(937.5 * median(total) / 1000).toFixed(1)} s; loss at step ${steps}: ${lastLoss.toFixed(3)}`);
