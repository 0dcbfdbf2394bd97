// Benchmark: GFLOPS of the JS and WebAssembly float32 matmul kernels on the training shapes.
import { matmul } from "../packages/core/src/kernels/matmul.js";
import {
  setWasmMatmulConfig, wasmMatmul, wasmMatmulConfig, wasmRelaxedSimdAvailable,
} from "../packages/core/src/kernels/wasm/wasm-matmul.js";
import type { WasmMatmulConfig } from "../packages/core/src/kernels/wasm/wasm-matmul.js";
import { Rng } from "../packages/core/src/random.js";

type Kernel = typeof wasmMatmul;
interface Case { name: string; m: number; k: number; n: number; transA: boolean; transB: boolean }

const cases: Case[] = [
  { name: "NN [128,784]@[784,128]", m: 128, k: 784, n: 128, transA: false, transB: false },
  { name: "NT [128,128]@[784,128]ᵀ", m: 128, k: 128, n: 784, transA: false, transB: true },
  { name: "TN [128,784]ᵀ@[128,128]", m: 784, k: 128, n: 128, transA: true, transB: false },
  { name: "NN [128,128]@[128,64]", m: 128, k: 128, n: 64, transA: false, transB: false },
  { name: "NN 1024³", m: 1024, k: 1024, n: 1024, transA: false, transB: false },
];

function randomArray(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/** Median GFLOPS over `runs` timed batches, each at least ~20 ms, after a warm-up. */
function gflops(kernel: Kernel, c: Case, runs: number): number {
  const rng = new Rng(1);
  const a = randomArray(rng, c.m * c.k);
  const b = randomArray(rng, c.k * c.n);
  const out = new Float32Array(c.m * c.n);
  const call = (): void => kernel(a, b, out, c.m, c.k, c.n, c.transA, c.transB);
  const flops = 2 * c.m * c.k * c.n;
  let reps = 1;
  for (let t0 = performance.now(); performance.now() - t0 < 200;) call(); // warm-up and tier-up
  const t0 = performance.now();
  call();
  reps = Math.max(1, Math.ceil(20 / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    samples.push((flops * reps) / ((performance.now() - start) * 1e6));
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
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
console.log(`${"shape".padEnd(28)} ${"JS GFLOPS".padStart(10)} ${"wasm GFLOPS".padStart(12)}`);
for (const c of cases) {
  const js = withJs ? gflops(matmul, c, c.m * c.k * c.n > 1e8 ? 3 : 7).toFixed(2) : "-";
  const wasm = gflops(wasmMatmul, c, 7).toFixed(2);
  console.log(`${c.name.padEnd(28)} ${js.padStart(10)} ${wasm.padStart(12)}`);
}
