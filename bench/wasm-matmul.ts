// Benchmark: GFLOPS of the JS and WebAssembly float32 matmul kernels on the training shapes.
// The MNIST rows multiply a batch of 128 real training images (81 % zeros): their GFLOPS are
// 2·m·n·k over the time, the work a dense kernel does, so they show what zero skipping gains.
// Usage: npx tsx bench/wasm-matmul.ts [--no-js] [--threads=2 --mr=6 --kc=256 ...config overrides]
// Relaxed SIMD on Node 20: node --experimental-wasm-relaxed-simd --import tsx bench/wasm-matmul.ts
import { matmul } from "../packages/core/src/kernels/matmul.js";
import {
  setWasmMatmulConfig, wasmMatmul, wasmMatmulConfig, wasmRelaxedSimdAvailable,
} from "../packages/core/src/kernels/wasm/index.js";
import type { WasmMatmulConfig } from "../packages/core/src/kernels/wasm/index.js";
import { Rng } from "../packages/core/src/random.js";
import { readMnistFiles } from "../packages/mnist/src/index.js";

type Kernel = typeof wasmMatmul;
interface Case {
  name: string; m: number; k: number; n: number; transA: boolean; transB: boolean;
  /** A is a batch of MNIST training images ([128, 784] as stored), else uniform in [−1, 1). */
  mnist?: boolean;
}

const cases: Case[] = [
  { name: "NN [128,784]@[784,128]", m: 128, k: 784, n: 128, transA: false, transB: false },
  { name: "NT [128,128]@[784,128]ᵀ", m: 128, k: 128, n: 784, transA: false, transB: true },
  { name: "TN [128,784]ᵀ@[128,128]", m: 784, k: 128, n: 128, transA: true, transB: false },
  { name: "NN [128,128]@[128,64]", m: 128, k: 128, n: 64, transA: false, transB: false },
  { name: "NN 1024³", m: 1024, k: 1024, n: 1024, transA: false, transB: false },
  { name: "NN MNIST [128,784]@[784,128]", m: 128, k: 784, n: 128, transA: false, transB: false,
    mnist: true },
  { name: "TN MNIST [128,784]ᵀ@[128,128]", m: 784, k: 128, n: 128, transA: true, transB: false,
    mnist: true },
];

/** 128 training images picked at random, pixels scaled to [0, 1]. */
async function mnistBatch(rng: Rng): Promise<Float32Array> {
  const { train } = await readMnistFiles();
  const batch = new Float32Array(128 * 784);
  for (let r = 0; r < 128; r++) {
    const image = Math.floor(rng.uniform(0, train.count));
    for (let p = 0; p < 784; p++) batch[784 * r + p] = train.images[784 * image + p] / 255;
  }
  return batch;
}
const images = await mnistBatch(new Rng(2));

function randomArray(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/** GFLOPS of timed batches (each ~20 ms) after a warm-up: [median, best] over `runs`. */
function gflops(kernel: Kernel, c: Case, runs: number): [number, number] {
  const rng = new Rng(1);
  const a = c.mnist === true ? images : randomArray(rng, c.m * c.k);
  const b = randomArray(rng, c.k * c.n);
  const out = new Float32Array(c.m * c.n);
  const args = { a, b, out, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB };
  const call = (): void => kernel(args);
  const flops = 2 * c.m * c.k * c.n;
  for (let t0 = performance.now(); performance.now() - t0 < 300;) call(); // warm-up and tier-up
  const t0 = performance.now();
  call();
  const reps = Math.max(1, Math.ceil(20 / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    samples.push((flops * reps) / ((performance.now() - start) * 1e6));
  }
  samples.sort((x, y) => x - y);
  return [samples[Math.floor(samples.length / 2)], samples[samples.length - 1]];
}

function parseOverrides(args: string[]): Partial<WasmMatmulConfig> {
  const config: Record<string, number | boolean> = {};
  for (const arg of args) {
    const [key, value] = arg.replace(/^--/, "").split("=");
    config[key] = value === "true" ? true : value === "false" ? false : Number(value);
  }
  return config as Partial<WasmMatmulConfig>;
}

const overrides = parseOverrides(process.argv.slice(2).filter((x) => x !== "--no-js"));
const withJs = !process.argv.includes("--no-js");
setWasmMatmulConfig(overrides);
console.log(`relaxed SIMD available: ${wasmRelaxedSimdAvailable()}`);
console.log(`wasm config: ${JSON.stringify(wasmMatmulConfig())}`);
console.log("GFLOPS, median (best) of timed batches");
const header = ["JS", "wasm"].map((x) => x.padStart(14)).join(" ");
console.log(`${"shape".padEnd(30)} ${header} ${"speedup".padStart(8)}`);
const show = ([median, best]: [number, number]): string =>
  `${median.toFixed(2)} (${best.toFixed(1)})`.padStart(14);
for (const c of cases) {
  const big = c.m * c.k * c.n > 1e8;
  const js = withJs ? gflops(matmul, c, big ? 3 : 9) : undefined;
  const wasm = gflops(wasmMatmul, c, big ? 5 : 15);
  const speedup = js === undefined ? "-" : `${(wasm[0] / js[0]).toFixed(1)}x`;
  const jsText = js ? show(js) : "-".padStart(14);
  console.log(`${c.name.padEnd(30)} ${jsText} ${show(wasm)} ${speedup.padStart(8)}`);
}
