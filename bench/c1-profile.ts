// Where a compiled C1 step's time goes, kernel by kernel: bench/c1-steps.ts's network run
// through a backend that times every kernel call (by its place in the step), printing each
// call's median µs (wall, and CPU of the whole process), its share of the step, the step time
// outside the kernels, and the thread rounds per step.
// Usage: node --import tsx bench/c1-profile.ts [THREADS=2] [STEPS=300]
import {
  type Backend, Rng, Tensor, classProbabilities, compileStep, conv2d, flatten, getBackend,
  linear, logSoftmax, maxPool2d, mean, mul, neg, randn, residentStorage, setBackend,
  setNumThreads, sum, zeros,
} from "@tapegrad/core";
import { Adam, batches } from "@tapegrad/nn";
import { readMnistFiles, toImageTensor } from "@tapegrad/mnist";
import { GemmPool } from "../packages/core/dist/kernels/wasm/thread-pool.js";

// Rounds a step posts to the helpers, and rounds the pool's choice gave the caller alone.
const rounds = { threaded: 0, solo: 0 };
const { run, engage } = GemmPool.prototype;
GemmPool.prototype.run = function (this: GemmPool, ...args: Parameters<typeof run>) {
  rounds.threaded++;
  return run.apply(this, args);
};
GemmPool.prototype.engage = function (this: GemmPool, work: number) {
  const threaded = engage.call(this, work);
  if (!threaded) rounds.solo++;
  return threaded;
};

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 300);
setNumThreads(threads);
// Per call: wall ms and the process's CPU ms (all threads: on 1 thread, robust to a busy host).
const calls: { name: string; detail: string; times: number[]; cpu: number[] }[] = [];
let callIndex = 0;
const shapeOf = (args: Record<string, unknown>): string => Object.entries(args)
  .filter(([, v]) => ArrayBuffer.isView(v) || Array.isArray(v))
  .map(([k, v]) => `${k}${Array.isArray(v) ? `[${v.join(",")}]` : (v as Float32Array).length}`)
  .join(" ");
const inner = getBackend();
const timed = Object.fromEntries(Object.entries(inner).map(([name, fn]) => {
  if (typeof fn !== "function" || name === "residentStorage" || name === "isResident") {
    return [name, fn];
  }
  return [name, (args: Record<string, unknown>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = (fn as (a: unknown) => unknown)(args);
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const i = callIndex++;
    calls[i] ??= { name, detail: shapeOf(args ?? {}), times: [], cpu: [] };
    calls[i].times.push(t);
    calls[i].cpu.push((c.user + c.system) / 1000);
    return r;
  }];
})) as unknown as Backend;
setBackend(timed);

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
const total: number[] = [];
while (total.length < steps) {
  for (const { x, rows } of batches(images, indices, 64, { rng, reuse: true })) {
    if (x.shape[0] !== 64) continue;
    callIndex = 0;
    if (total.length === 5) { // the first step records: different calls
      calls.length = 0;
      [rounds.threaded, rounds.solo] = [0, 0];
    }
    const t0 = performance.now();
    for (let i = 0; i < 64; i++) labels.data[i] = files.train.labels[rows[i]];
    step(x, labels);
    optimizer.step();
    total.push(performance.now() - t0);
    if (total.length >= steps) break;
  }
}
const median = (xs: number[]) => {
  const s = xs.slice(Math.min(50, xs.length >> 1)).sort((a, b) => a - b);
  return s[s.length >> 1];
};
const stepMs = median(total);
let [inKernels, cpuInKernels] = [0, 0];
console.log(`C1 step, ${threads} thread(s): median ${stepMs.toFixed(2)} ms over ${steps} steps`);
for (const [i, c] of calls.entries()) {
  if (c === undefined) continue;
  const m = median(c.times);
  const cpu = median(c.cpu);
  inKernels += m;
  cpuInKernels += cpu;
  if (m < 0.02) continue;
  const us = (x: number) => (x * 1000).toFixed(0).padStart(6);
  console.log(`${String(i).padStart(3)} ${c.name.padEnd(18)} ${us(m)} µs ` +
    `${(100 * m / stepMs).toFixed(1).padStart(5)} %, CPU ${us(cpu)} µs  ${c.detail}`);
}
const counted = total.length - 5;
console.log(`thread rounds per step: ${(rounds.threaded / counted).toFixed(1)} posted to the ` +
  `helpers, ${(rounds.solo / counted).toFixed(1)} given to the caller alone (the pool's choice)`);
console.log(`kernels (sum of medians) ${inKernels.toFixed(2)} ms (CPU ` +
  `${cpuInKernels.toFixed(2)} ms); outside them ${(stepMs - inKernels).toFixed(2)} ms`);
