// The default backend: WebAssembly SIMD for float32 products, the dense layer's bias and
// activation and its backward mask where the runtime has it; TypeScript for everything else.
import { type DType, type FloatArray, newArray } from "../dtype.js";
import { type Backend, getBackend } from "./backend.js";
import { jsBackend } from "./js-backend.js";
import {
  type FusedActivation, type UnaryKernel, bceLogits as jsBceLogits,
  bceLogitsGrad as jsBceLogitsGrad, leakyStepMul as jsLeakyStepMul, unary as jsUnary,
} from "./elementwise.js";
import { linear as jsLinear } from "./linear.js";
import { gatherRows as jsGatherRows } from "./layout.js";
import { matmul as jsMatmul } from "./matmul.js";
import { type ReduceKernel, reduce as jsReduce } from "./reduce.js";
import { descend as jsDescend } from "./update.js";
import {
  releaseResident, residentFloat32, residentFloat64, setWasmMatmulConfig, wasmActivation,
  wasmAdam, wasmBceLogits, wasmColumnSum, wasmDescend, wasmGatherRows, wasmLeakyStepMul,
  wasmLinear, wasmMatmul, wasmMatmulConfig, wasmSimdAvailable, wasmStartGatherRows,
  wasmThreadsAvailable,
} from "./wasm/wasm-matmul.js";
import {
  wasmChannelSum, wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad, wasmMaxPool2d,
  wasmMaxPool2dBackward, wasmPadPlanes,
} from "./wasm/conv-run.js";

function fastMatmul(
  a: FloatArray, b: FloatArray, out: FloatArray,
  m: number, k: number, n: number,
  transA = false, transB = false,
  aOffset = 0, bOffset = 0, outOffset = 0,
): void {
  if (a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array &&
    wasmSimdAvailable()) {
    wasmMatmul(a, b, out, m, k, n, transA, transB, aOffset, bOffset, outOffset);
  } else {
    jsMatmul(a, b, out, m, k, n, transA, transB, aOffset, bOffset, outOffset);
  }
}

function fastLinear(
  x: FloatArray, w: FloatArray, bias: FloatArray | null, out: FloatArray,
  m: number, k: number, n: number, act: FusedActivation, slope: number,
): void {
  if (x instanceof Float32Array && w instanceof Float32Array && out instanceof Float32Array &&
    (bias === null || bias instanceof Float32Array) && wasmSimdAvailable()) {
    wasmLinear(x, w, bias, out, m, k, n, act, slope);
  } else {
    jsLinear(x, w, bias, out, m, k, n, act, slope);
  }
}

function fastLeakyStepMul(dy: FloatArray, y: FloatArray, out: FloatArray, p: number): void {
  if (dy instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array &&
    wasmSimdAvailable()) {
    wasmLeakyStepMul(dy, y, out, p);
  } else {
    jsLeakyStepMul(dy, y, out, p);
  }
}

// Below this many elements the copies into WebAssembly memory cost more than the loop saves.
const DESCEND_MIN = 256;

function fastDescend(w: FloatArray, g: FloatArray, learningRate: number): void {
  if (w.length >= DESCEND_MIN && w instanceof Float32Array && g instanceof Float32Array &&
    wasmSimdAvailable()) {
    wasmDescend(w, g, learningRate);
  } else {
    jsDescend(w, g, learningRate);
  }
}

/** softplus and sigmoid of float32 on wasm (exp and log1p in f64); the rest in TypeScript. */
function fastUnary(op: UnaryKernel, x: FloatArray, out: FloatArray, p = 0, q = 0): void {
  if ((op === "softplus" || op === "sigmoid") && x instanceof Float32Array &&
    out instanceof Float32Array && wasmSimdAvailable()) {
    wasmActivation(op, x, out);
  } else {
    jsUnary(op, x, out, p, q);
  }
}

const allFloat32 = (...arrays: FloatArray[]): boolean =>
  arrays.every((a) => a instanceof Float32Array);

function fastBceLogits(x: FloatArray, t: FloatArray, out: FloatArray): void {
  if (allFloat32(x, t, out) && wasmSimdAvailable()) {
    wasmBceLogits(x as Float32Array, t as Float32Array, null, out as Float32Array);
  } else {
    jsBceLogits(x, t, out);
  }
}

function fastBceLogitsGrad(x: FloatArray, t: FloatArray, dy: FloatArray, out: FloatArray): void {
  if (allFloat32(x, t, dy, out) && wasmSimdAvailable()) {
    wasmBceLogits(x as Float32Array, t as Float32Array, dy as Float32Array, out as Float32Array);
  } else {
    jsBceLogitsGrad(x, t, dy, out);
  }
}

function fastGatherRows(
  x: FloatArray, rowSize: number, indices: ArrayLike<number>, out: FloatArray,
): void {
  const done = x instanceof Float32Array && out instanceof Float32Array &&
    wasmGatherRows(x, rowSize, indices, out);
  if (!done) jsGatherRows(x, rowSize, indices, out);
}

/**
 * Starts a float32 row gather on a helper thread (see `wasmStartGatherRows`) and returns its
 * wait function, or null when this backend is not the active one or cannot run it there.
 */
export function startGatherRows(
  x: FloatArray, rowSize: number, indices: ArrayLike<number>, out: FloatArray,
): (() => void) | null {
  if (getBackend() !== wasmBackend || !(x instanceof Float32Array) ||
    !(out instanceof Float32Array)) return null;
  return wasmStartGatherRows(x, rowSize, indices, out);
}

/**
 * Sums over leading axes with the innermost axis kept (a bias gradient, sum(dy, 0)) on wasm;
 * the TypeScript kernel otherwise. On that layout both add rows in order, rounding each time.
 */
function fastReduce(
  op: ReduceKernel, x: FloatArray, shape: readonly number[], out: FloatArray,
  outStrides: readonly number[],
): void {
  const cols = leadingReduction(shape, outStrides);
  if (op === "sum" && cols > 0 && x instanceof Float32Array && out instanceof Float32Array &&
    wasmSimdAvailable()) {
    wasmColumnSum(x, out, x.length / cols, cols);
  } else {
    jsReduce(op, x, shape, out, outStrides);
  }
}

/**
 * The kept size when the reduction is over a leading block of axes and the rest are kept
 * contiguous (out strides 0, …, 0, then row-major with the last 1), else 0.
 */
function leadingReduction(shape: readonly number[], outStrides: readonly number[]): number {
  let cols = 1;
  let d = shape.length - 1;
  for (; d >= 0 && outStrides[d] !== 0; d--) {
    if (outStrides[d] !== cols) return 0;
    cols *= shape[d];
  }
  for (; d >= 0; d--) if (outStrides[d] !== 0) return 0;
  return shape.length > 0 && outStrides[shape.length - 1] === 1 ? cols : 0;
}

/**
 * TypeScript kernels, with float32 matrix products (and the fused linear layer's bias and
 * activation, its backward mask, bias gradients, the SGD step and the Adam step on arrays in
 * WebAssembly memory) on WebAssembly SIMD when available.
 */
export const wasmBackend: Backend = {
  ...jsBackend, name: "wasm-simd", matmul: fastMatmul, linear: fastLinear,
  leakyStepMul: fastLeakyStepMul, reduce: fastReduce, descend: fastDescend, adam: wasmAdam,
  gatherRows: fastGatherRows, unary: fastUnary, bceLogits: fastBceLogits,
  bceLogitsGrad: fastBceLogitsGrad,
  padPlanes: wasmPadPlanes, conv2d: wasmConv2d, conv2dInputGrad: wasmConv2dInputGrad,
  conv2dWeightGrad: wasmConv2dWeightGrad, channelSum: wasmChannelSum, maxPool2d: wasmMaxPool2d,
  maxPool2dBackward: wasmMaxPool2dBackward,
};

/**
 * Sets how many threads a large float32 matrix product uses (the caller plus n − 1 worker
 * threads sharing WebAssembly memory). Results are identical for a given count. Products
 * under 1 MFLOP stay on one thread. Throws where threads are unavailable.
 */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`setNumThreads: threads must be a positive integer; got ${threads}`);
  }
  if (threads > 1 && !wasmThreadsAvailable()) {
    throw new Error(
      "setNumThreads: threads need WebAssembly SIMD, shared memory and worker_threads; " +
        "this runtime lacks one of them",
    );
  }
  setWasmMatmulConfig({ threads });
}

/**
 * Turns zero skipping in float32 matrix products on (the default) or off. With it, the steps
 * where a panel of the left operand's rows is all zeros (most of an MNIST image) are left
 * out; the results are the same bits either way, so this is for timing the dense kernels.
 */
export function setSkipZeros(enabled: boolean): void {
  if (typeof enabled !== "boolean") {
    throw new TypeError(`setSkipZeros: enabled must be a boolean; got ${String(enabled)}`);
  }
  if (wasmSimdAvailable()) setWasmMatmulConfig({ skipZeros: enabled });
}

/** The thread count set by `setNumThreads` (1 by default, or when SIMD is unavailable). */
export function getNumThreads(): number {
  return wasmSimdAvailable() ? wasmMatmulConfig().threads : 1;
}

/**
 * Zeroed storage of `size` elements that the WebAssembly kernels use in place (it lives in
 * their shared memory) where that is available, else an ordinary typed array. For long-lived
 * buffers the fast kernels update every step, such as optimizer state.
 */
export function residentStorage(dtype: DType, size: number): FloatArray {
  const resident = dtype === "float64" ? residentFloat64(size) : residentFloat32(size);
  return resident ?? newArray(dtype, size);
}

/**
 * Gives storage from `residentStorage` back at once, instead of when it is garbage collected
 * (a loop that makes buffers over and over would otherwise grow the WebAssembly memory, which
 * never shrinks). The array must not be used afterwards. Other arrays are ignored.
 */
export function releaseStorage(data: FloatArray): void {
  releaseResident(data);
}
