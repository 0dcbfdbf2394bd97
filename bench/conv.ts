// Convolution benchmark: GFLOPS (2 · multiply-adds / time: the dense count, so zero skipping
// shows as a higher figure) of each product of C1's two convolutions — forward, input
// gradient, weight gradient — at batch 64 on 1 and 2 threads, float32 WebAssembly kernels on
// arrays in WebAssembly memory (as in a compiled step). The data is C1's: real MNIST images;
// conv2 reads relu → max-pool of conv1 (He-initialised; about a third nonzero, and a variant
// 55 % nonzero as mid-training); each output gradient has max-pool's pattern (one nonzero per
// 2×2 window) under relu's mask. Columns: with zero skipping (the default: the kernels choose
// dense tiles or sparse paths by their cost model), and dense (setSkipZeros(false)); then the
// im2col route's GEMMs for comparison.
// `pnpm bench` runs it.
import { availableParallelism } from "node:os";
import { Tensor, conv2d, maxPool2d, randn } from "@tapegrad/core";
import { type ConvGeometry, paddedSize, padPlanes } from "../packages/core/src/kernels/conv.js";
import {
  wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad,
} from "../packages/core/src/kernels/wasm/conv-run.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmul, wasmMatmulConfig, wasmThreadsAvailable,
} from "../packages/core/src/kernels/wasm/index.js";
import { Rng } from "../packages/core/src/random.js";
import { msPerCall } from "./per-call.js";
import { installWasmCnn } from "../packages/core/src/kernels/cnn-install.js";
import { readMnistFiles } from "../packages/mnist/src/index.js";

const geometry = (c: number, h: number, k: number): ConvGeometry => ({
  n: 64, c, h, w: h, k, groups: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1,
  pt: 2, pb: 2, pl: 2, pr: 2, oh: h, ow: h,
});
const conv1 = geometry(1, 28, 16);
const conv2 = geometry(16, 14, 32);

// C1's activations on 64 real images, computed once (plain arrays; copied into each memory).
const rng = new Rng(1);
const files = await readMnistFiles();
const images = new Tensor(
  Float32Array.from({ length: 64 * 784 }, (_, i) => files.train.images[784 * 1000 + i] / 255),
  [64, 1, 28, 28]);
const he = (shape: number[], fanIn: number, seed: number) =>
  randn(shape, { seed }).mul(Math.sqrt(2 / fanIn));
const w1 = he([16, 1, 5, 5], 25, 1);
const w2 = he([32, 16, 5, 5], 400, 2);
const h1 = conv2d(images, w1, null, { padding: 2, activation: "relu" });
const x2 = maxPool2d(h1, { kernelSize: 2 });
const h2 = conv2d(x2, w2, null, { padding: 2, activation: "relu" });
/** A max-pool-shaped gradient of `y` (NCHW): one position per 2×2 window, where y > 0. */
function pooledGradient(y: Tensor): Float32Array {
  const [n, c, h, w] = y.shape;
  const dy = new Float32Array(y.size);
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i + 1 < h; i += 2) {
      for (let j = 0; j + 1 < w; j += 2) {
        const at = p * h * w + (i + rng.int(2)) * w + j + rng.int(2);
        if (y.data[at] > 0) dy[at] = rng.uniform(-1, 1);
      }
    }
  }
  return dy;
}
/** x2 with zeros turned into small values until `share` of it is nonzero (as mid-training). */
function denser(x: Tensor, share: number): Float32Array {
  const out = Float32Array.from(x.data);
  const zeros = out.length - out.filter((v) => v !== 0).length;
  const p = Math.max(0, share * out.length - (out.length - zeros)) / Math.max(zeros, 1);
  out.forEach((v, i) => { if (v === 0 && rng.next() < p) out[i] = rng.uniform(0, 0.5); });
  return out;
}
const inputs = {
  conv1: { x: images.data, weight: w1.data, dy: pooledGradient(h1) },
  conv2: { x: x2.data, weight: w2.data, dy: pooledGradient(h2) },
  conv2Trained: { x: denser(x2, 0.55), weight: w2.data, dy: pooledGradient(h2) },
};
const density = (x: ArrayLike<number>) =>
  (Array.from(x).filter((v) => v !== 0).length / x.length).toFixed(2);

/** One convolution's buffers in the current WebAssembly memory. */
function buffers(g: ConvGeometry, data: (typeof inputs)["conv1"]) {
  const { hp, wp } = paddedSize(g);
  const resident = (values: ArrayLike<number> | number) => {
    const size = typeof values === "number" ? values : values.length;
    const x = residentFloat32(size) ?? new Float32Array(size);
    if (typeof values !== "number") x.set(values);
    return x;
  };
  const x = resident(data.x);
  const xPadded = resident(g.n * g.c * hp * wp);
  padPlanes({ x, out: xPadded, planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt,
    left: g.pl, sh: 1, sw: 1 });
  return {
    xPadded, weight: resident(data.weight), dy: resident(data.dy),
    out: resident(g.n * g.k * g.oh * g.ow), dx: resident(x.length),
    dw: resident(data.weight.length),
    // The im2col route's matrices: columns [c·kh·kw, n·oh·ow] and dy as [k, n·oh·ow].
    cols: resident(g.c * g.kh * g.kw * g.n * g.oh * g.ow),
    colsOut: resident(g.k * g.n * g.oh * g.ow),
  };
}

type Buffers = ReturnType<typeof buffers>;
const [m, k, n] = [32, 400, 64 * 196];
type Data = keyof typeof inputs;
const rows: Array<[string, ConvGeometry, (b: Buffers) => void, Data?]> = [
  ["conv1 forward", conv1, (b) => wasmConv2d({
    xPadded: b.xPadded, weight: b.weight, bias: null, out: b.out, geometry: conv1, relu: false })],
  ["conv1 weight gradient", conv1, (b) => wasmConv2dWeightGrad({
    xPadded: b.xPadded, dy: b.dy, dw: b.dw, geometry: conv1 })],
  ["conv2 forward", conv2, (b) => wasmConv2d({
    xPadded: b.xPadded, weight: b.weight, bias: null, out: b.out, geometry: conv2, relu: false })],
  ["conv2 forward, input 55 % nonzero", conv2, (b) => wasmConv2d({
    xPadded: b.xPadded, weight: b.weight, bias: null, out: b.out, geometry: conv2, relu: false }),
  "conv2Trained"],
  ["conv2 input gradient", conv2, (b) => wasmConv2dInputGrad({
    dy: b.dy, weight: b.weight, dx: b.dx, geometry: conv2 })],
  ["conv2 weight gradient", conv2, (b) => wasmConv2dWeightGrad({
    xPadded: b.xPadded, dy: b.dy, dw: b.dw, geometry: conv2 })],
  // The im2col route's products alone (im2col, col2im and layout changes not counted).
  ["conv2 fwd as GEMM [32,400]@[400,12544]", conv2,
    (b) => wasmMatmul({ a: b.weight, b: b.cols, out: b.colsOut, m, k, n })],
  ["conv2 dx as GEMM Wᵀ@dy (no col2im)", conv2,
    (b) => wasmMatmul({ a: b.weight, b: b.colsOut, out: b.cols, m: k, k: m, n, transA: true })],
  ["conv2 dw as GEMM dy@colsᵀ", conv2,
    (b) => wasmMatmul({ a: b.colsOut, b: b.cols, out: b.dw, m, k: n, n: k, transB: true })],
];
installWasmCnn(); // (the ops install it; this benchmark calls the runners directly)
const defaults = wasmMatmulConfig();
const threadCounts = wasmThreadsAvailable() && availableParallelism() >= 2 ? [1, 2] : [1];
const columns: Array<[string, number, boolean]> = [];
for (const skipZeros of [true, false]) {
  for (const threads of threadCounts) {
    columns.push([`${threads}t${skipZeros ? "" : " dense"}`, threads, skipZeros]);
  }
}
const results = rows.map(() => [] as string[]);
for (const [, threads, skipZeros] of columns) {
  // A new configuration starts a new memory: make the buffers in it.
  setWasmMatmulConfig({ ...defaults, threads, skipZeros });
  const data = {
    conv1: buffers(conv1, inputs.conv1), conv2: buffers(conv2, inputs.conv2),
    conv2Trained: buffers(conv2, inputs.conv2Trained),
  };
  rows.forEach(([name, g, run, which], i) => {
    const gemm = name.includes("GEMM");
    if (gemm && skipZeros) { results[i].push("-"); return; }
    const macs = g.n * g.k * g.oh * g.ow * g.c * g.kh * g.kw;
    const b = data[which ?? (g === conv1 ? "conv1" : "conv2")];
    results[i].push((2 * macs / (msPerCall(() => run(b)) / 1000) / 1e9).toFixed(1));
  });
}
setWasmMatmulConfig({ ...defaults });
console.log("\nconv products of C1 (batch 64, float32 WebAssembly SIMD, arrays in wasm memory), " +
  "GFLOPS = 2·multiply-adds/time, median of 7;");
console.log(`nonzero shares: MNIST ${density(inputs.conv1.x)}, conv1's output gradient ` +
  `${density(inputs.conv1.dy)}, conv2's input ${density(inputs.conv2.x)}, conv2's output ` +
  `gradient ${density(inputs.conv2.dy)}`);
console.log(`  ${"product".padEnd(42)}${columns.map(([c]) => c.padStart(10)).join("")}`);
rows.forEach(([name], i) => {
  console.log(`  ${name.padEnd(42)}${results[i].map((r) => r.padStart(10)).join("")}`);
});
