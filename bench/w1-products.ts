// The matrix products of one W1 training step (784-128-64-10, batch 128) on the WebAssembly
// kernels, each timed alone: minimum and median microseconds over many calls, on operands
// like a real step's (a batch of MNIST images, He-normal weights, activations, gradients).
// The minimum is what a product costs when the thread is not preempted: usable on a busy host.
// `node --import tsx bench/w1-products.ts [--threads N] [--dense] [--relaxed-simd]
// [--no-back-off]`
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { Rng } from "@tapegrad/core";
import { readMnistFiles } from "@tapegrad/mnist";
import {
  residentFloat32, setWasmMatmulConfig, wasmLinear, wasmMatmul,
} from "../packages/core/src/kernels/wasm/index.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    dense: { type: "boolean" },
    "relaxed-simd": { type: "boolean" },
    "no-back-off": { type: "boolean" },
  },
});
if (values["relaxed-simd"] === true) setFlagsFromString("--experimental-wasm-relaxed-simd");
setWasmMatmulConfig({
  threads: Number(values.threads), skipZeros: values.dense !== true,
  backOff: values["no-back-off"] !== true,
});

const rng = new Rng(3);
const { train } = await readMnistFiles();
/** A resident array of `size` values from `fill`. */
function array(size: number, fill: (i: number) => number): Float32Array {
  const x = residentFloat32(size)!;
  for (let i = 0; i < size; i++) x[i] = fill(i);
  return x;
}
const x = array(128 * 784, (i) => {
  const row = Math.floor(i / 784);
  return train.images[784 * ((row * 463) % train.count) + (i % 784)] / 255;
});
const he = (fanIn: number) => () => rng.normal() * Math.sqrt(2 / fanIn);
const [w1, w2, w3] = [array(784 * 128, he(784)), array(128 * 64, he(128)), array(64 * 10, he(64))];
const leaky = () => { const v = rng.normal(); return v > 0 ? v : 0.01 * v; };
const [h1, h2] = [array(128 * 128, leaky), array(128 * 64, leaky)];
const grad = () => 0.01 * rng.normal();
const [dz1, dz2, dz3] = [array(128 * 128, grad), array(128 * 64, grad), array(128 * 10, grad)];
const [b1, b2, b3] = [array(128, grad), array(64, grad), array(10, grad)];
const outs = new Map<number, Float32Array>();
const out = (size: number) => {
  if (!outs.has(size)) outs.set(size, array(size, () => 0));
  return outs.get(size)!;
};

const products: Array<[string, number, () => void]> = [
  ["L1 forward  x·W1 + b1, leaky", 784, () => wasmLinear({
    x, w: w1, bias: b1, out: out(128 * 128), m: 128, k: 784, n: 128, activation: "leakyRelu",
    slope: 0.01 })],
  ["L2 forward  h1·W2 + b2, leaky", 128, () => wasmLinear({
    x: h1, w: w2, bias: b2, out: out(128 * 64), m: 128, k: 128, n: 64, activation: "leakyRelu",
    slope: 0.01 })],
  ["L3 forward  h2·W3 + b3", 64, () => wasmLinear({
    x: h2, w: w3, bias: b3, out: out(128 * 10), m: 128, k: 64, n: 10, activation: "identity",
    slope: 0 })],
  ["dW3 = h2ᵀ·dz3", 10, () => wasmMatmul({
    a: h2, b: dz3, out: out(64 * 10), m: 64, k: 128, n: 10, transA: true })],
  ["dh2 = dz3·W3ᵀ", 64, () => wasmMatmul({
    a: dz3, b: w3, out: out(128 * 64), m: 128, k: 10, n: 64, transB: true })],
  ["dW2 = h1ᵀ·dz2", 64, () => wasmMatmul({
    a: h1, b: dz2, out: out(128 * 64), m: 128, k: 128, n: 64, transA: true })],
  ["dh1 = dz2·W2ᵀ", 128, () => wasmMatmul({
    a: dz2, b: w2, out: out(128 * 128), m: 128, k: 64, n: 128, transB: true })],
  ["dW1 = xᵀ·dz1", 128, () => wasmMatmul({
    a: x, b: dz1, out: out(784 * 128), m: 784, k: 128, n: 128, transA: true })],
];
const flops: Record<string, number> = {};
let sumMin = 0;
let sumMedian = 0;
console.log(`threads ${values.threads}${values.dense === true ? ", dense" : ""}: µs per product`);
for (const [name, , run] of products) {
  for (let i = 0; i < 300; i++) run();
  const times: number[] = [];
  for (let r = 0; r < 400; r++) {
    const t = performance.now();
    run();
    times.push(1000 * (performance.now() - t));
  }
  times.sort((a, b) => a - b);
  const [min, median] = [times[0], times[times.length >> 1]];
  sumMin += min;
  sumMedian += median;
  flops[name] = 0;
  console.log(`${name.padEnd(32)} min ${min.toFixed(1).padStart(6)}  median ` +
    `${median.toFixed(1).padStart(6)}`);
}
console.log(`${"all eight".padEnd(32)} min ${sumMin.toFixed(1).padStart(6)}  median ` +
  `${sumMedian.toFixed(1).padStart(6)}`);
