// Convolution benchmark: GFLOPS (2 · multiply-adds / time, the dense count) of each product of
// C1's two convolutions — forward, input gradient, weight gradient — at batch 64 on 1 and 2
// threads, the float32 WebAssembly kernels on arrays in WebAssembly memory (as in a compiled
// step). conv1 reads a batch of real MNIST images; conv2 reads a relu-like input (half zeros).
// Also the same products as im2col + the packed GEMM, for comparison. `pnpm bench` runs it.
import { availableParallelism } from "node:os";
import { type ConvGeometry, paddedSize, padPlanes } from "../packages/core/src/kernels/conv.js";
import {
  wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad,
} from "../packages/core/src/kernels/wasm/conv-run.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmul, wasmMatmulConfig, wasmThreadsAvailable,
} from "../packages/core/src/kernels/wasm/wasm-matmul.js";
import { Rng } from "../packages/core/src/random.js";
import { readMnistFiles } from "../packages/mnist/src/index.js";

/** Median seconds per call over 7 timed batches of ≥ 40 ms each, after a warm-up. */
function timePerCall(call: () => void): number {
  for (let t0 = performance.now(); performance.now() - t0 < 200;) call();
  const t0 = performance.now();
  call();
  const reps = Math.max(1, Math.ceil(40 / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    samples.push((performance.now() - start) / 1000 / reps);
  }
  return samples.sort((a, b) => a - b)[3];
}

const geometry = (c: number, h: number, k: number): ConvGeometry => ({
  n: 64, c, h, w: h, k, groups: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1,
  pt: 2, pb: 2, pl: 2, pr: 2, oh: h, ow: h,
});
const conv1 = geometry(1, 28, 16);
const conv2 = geometry(16, 14, 32);

const rng = new Rng(1);
const files = await readMnistFiles();
const resident = (size: number, fill: (i: number) => number): Float32Array => {
  const x = residentFloat32(size) ?? new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = fill(i);
  return x;
};
const mnist = (i: number) => files.train.images[784 * 1000 + i] / 255;
const reluLike = () => (rng.next() < 0.5 ? 0 : rng.uniform(0, 1));

/** The buffers of one convolution's three products. */
function buffers(g: ConvGeometry, input: (i: number) => number) {
  const { hp, wp } = paddedSize(g);
  const x = resident(g.n * g.c * g.h * g.w, input);
  const xPadded = resident(g.n * g.c * hp * wp, () => 0);
  padPlanes({ x, out: xPadded, planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt,
    left: g.pl, sh: 1, sw: 1 });
  return {
    x, xPadded,
    weight: resident(g.k * g.c * g.kh * g.kw, () => rng.uniform(-0.2, 0.2)),
    dy: resident(g.n * g.k * g.oh * g.ow, () => rng.uniform(-1, 1)),
    out: resident(g.n * g.k * g.oh * g.ow, () => 0),
    dx: resident(g.n * g.c * g.h * g.w, () => 0),
    dw: resident(g.k * g.c * g.kh * g.kw, () => 0),
    // The im2col route's matrices: columns [c·kh·kw, n·oh·ow] and dy as [k, n·oh·ow].
    cols: resident(g.c * g.kh * g.kw * g.n * g.oh * g.ow, () => rng.next()),
    colsOut: resident(g.k * g.n * g.oh * g.ow, () => 0),
  };
}

const defaults = wasmMatmulConfig();
const threadCounts = wasmThreadsAvailable() && availableParallelism() >= 2 ? [1, 2] : [1];
type Buffers = ReturnType<typeof buffers>;
const [m, k, n] = [32, 400, 64 * 196];
const rows: Array<[string, ConvGeometry, (b: Buffers) => void]> = [
  ["conv1 forward (real MNIST)", conv1, (b) => wasmConv2d({
    xPadded: b.xPadded, weight: b.weight, bias: null, out: b.out, geometry: conv1, relu: false })],
  ["conv1 weight gradient (real MNIST)", conv1, (b) => wasmConv2dWeightGrad({
    xPadded: b.xPadded, dy: b.dy, dw: b.dw, geometry: conv1 })],
  ["conv1 input gradient (C1 skips it)", conv1, (b) => wasmConv2dInputGrad({
    dy: b.dy, weight: b.weight, dx: b.dx, geometry: conv1 })],
  ["conv2 forward", conv2, (b) => wasmConv2d({
    xPadded: b.xPadded, weight: b.weight, bias: null, out: b.out, geometry: conv2, relu: false })],
  ["conv2 input gradient", conv2, (b) => wasmConv2dInputGrad({
    dy: b.dy, weight: b.weight, dx: b.dx, geometry: conv2 })],
  ["conv2 weight gradient", conv2, (b) => wasmConv2dWeightGrad({
    xPadded: b.xPadded, dy: b.dy, dw: b.dw, geometry: conv2 })],
  // The im2col route's products alone (im2col, col2im and layout changes not counted).
  ["conv2 forward, GEMM on im2col [32,400]@[400,12544]", conv2,
    (b) => wasmMatmul(b.weight, b.cols, b.colsOut, m, k, n)],
  ["conv2 input grad., GEMM Wᵀ@dy (no col2im)", conv2,
    (b) => wasmMatmul(b.weight, b.colsOut, b.cols, k, m, n, true, false)],
  ["conv2 weight grad., GEMM dy@colsᵀ", conv2,
    (b) => wasmMatmul(b.colsOut, b.cols, b.dw, m, n, k, false, true)],
];
const results = rows.map(() => [] as string[]);
for (const threads of threadCounts) {
  // A new configuration starts a new memory: make the buffers in it.
  setWasmMatmulConfig({ ...defaults, threads });
  const data = { conv1: buffers(conv1, mnist), conv2: buffers(conv2, reluLike) };
  rows.forEach(([, g, run], i) => {
    const macs = g.n * g.k * g.oh * g.ow * g.c * g.kh * g.kw;
    const b = g === conv1 ? data.conv1 : data.conv2;
    results[i].push((2 * macs / timePerCall(() => run(b)) / 1e9).toFixed(1));
  });
}
setWasmMatmulConfig({ ...defaults });
console.log("\nconv products of C1 (batch 64, float32 WebAssembly SIMD, arrays in wasm memory), " +
  "GFLOPS = 2·multiply-adds/time, median of 7:");
console.log(`  ${"product".padEnd(50)}` +
  threadCounts.map((t) => `${t} thread${t > 1 ? "s" : " "}`.padStart(10)).join(""));
rows.forEach(([name], i) => {
  console.log(`  ${name.padEnd(50)}${results[i].map((r) => r.padStart(10)).join("")}`);
});
