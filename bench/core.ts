// Core benchmark: matmul GFLOPS on the MLP shapes, per-op overhead, heap over 10,000 steps,
// and one small step on the tape against the same step through compileStep.
// Run with `pnpm bench` (node --expose-gc makes the heap figures exact).
import {
  compileStep, getBackend, jsBackend, matmul, matmulTransposed, noGrad, randn, setBackend, tensor,
} from "@tapegrad/core";
import type { Tensor } from "@tapegrad/core";

/** Median of `runs` timed batches (each ≥ ~30 ms after a warm-up), in seconds per call. */
function timePerCall(call: () => void, runs = 7): number {
  for (let t0 = performance.now(); performance.now() - t0 < 150;) call();
  const t0 = performance.now();
  call();
  const reps = Math.max(1, Math.ceil(30 / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    samples.push((performance.now() - start) / 1000 / reps);
  }
  return samples.sort((x, y) => x - y)[Math.floor(runs / 2)];
}

const shapes: Array<[string, number, number, number, boolean, boolean]> = [
  ["NN [128,784]@[784,128] (layer 1 forward)", 128, 784, 128, false, false],
  ["NN [128,128]@[128,64] (layer 2 forward)", 128, 128, 64, false, false],
  ["NT [128,128]@[784,128]ᵀ (dx layout)", 128, 128, 784, false, true],
  ["TN [128,784]ᵀ@[128,128] (dW layout)", 784, 128, 128, true, false],
  ["NN 1024³", 1024, 1024, 1024, false, false],
];

const fast = getBackend();
for (const backend of [jsBackend, fast]) {
  setBackend(backend);
  console.log(
    `\nmatmul on the ${backend.name} backend (op level: validation, allocation, kernel), median:`,
  );
  for (const [name, m, k, n, transA, transB] of shapes) {
    const a = randn(transA ? [k, m] : [m, k], { seed: 1 });
    const b = randn(transB ? [n, k] : [k, n], { seed: 2 });
    const runs = m * n * k > 1e8 ? 3 : 7;
    const seconds = timePerCall(() => void matmulTransposed(a, b, transA, transB), runs);
    const gflops = (2 * m * k * n) / seconds / 1e9;
    console.log(`  ${name.padEnd(42)} ${gflops.toFixed(2).padStart(7)} GFLOPS`);
  }
}
setBackend(fast);

console.log("\nper-op overhead on tiny tensors (ops/second, median of 7):");
const x = tensor([[1, 2], [3, 4]]);
const y = tensor([[5, 6], [7, 8]]);
const w = tensor([[0.5, -1], [1, 0.25]], { requiresGrad: true });
const rate = (label: string, call: () => void, opsPerCall: number) => {
  const seconds = timePerCall(call);
  const perSecond = Math.round(opsPerCall / seconds).toLocaleString("en-US");
  console.log(`  ${label.padEnd(42)} ${perSecond.padStart(12)}`);
};
rate("add [2,2] + [2,2], no grad", () => void x.add(y), 1);
rate("add [2,2] + [2,2], recorded", () => void w.add(y), 1);
rate("matmul [2,2]@[2,2], recorded", () => void matmul(x, w), 1);
rate("forward+backward (matmul, sigmoid, sum)", () => {
  w.grad = null;
  x.matmul(w).sigmoid().sum().backward();
}, 4);

console.log("\nheap over 10,000 small training steps:");
const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const inputs = randn([16, 8], { seed: 3 });
const targets = randn([16, 4], { seed: 4 });
const weight = randn([8, 4], { seed: 5, requiresGrad: true });
const step = (): number => {
  weight.grad = null;
  const loss = inputs.matmul(weight).sub(targets).square().mean();
  loss.backward();
  noGrad(() => weight.data.set(weight.sub((weight.grad as Tensor).mul(0.05)).data));
  return loss.item();
};
for (let i = 0; i < 100; i++) step();
const before = heapMB();
let last = 0;
const t0 = performance.now();
for (let i = 0; i < 10_000; i++) last = step();
const seconds = (performance.now() - t0) / 1000;
const after = heapMB();
console.log(`  heap before ${before.toFixed(2)} MB, after ${after.toFixed(2)} MB ` +
  `(${gc ? "after gc" : "no --expose-gc: includes garbage"}); ` +
  `${Math.round(10_000 / seconds)} steps/s; final loss ${last.toFixed(4)}`);

// The same small step compiled: traced once, then replayed without the tape or allocation.
console.log("\nthat step, eager tape vs compileStep (steps/second, median of 7):");
const compiled = compileStep(
  (a: Tensor, b: Tensor) => a.matmul(weight).sub(b).square().mean(), [weight]);
rate("eager: forward + backward", () => {
  weight.grad = null;
  inputs.matmul(weight).sub(targets).square().mean().backward();
}, 1);
rate("compileStep: forward + backward", () => compiled(inputs, targets), 1);
