// The WebAssembly backend: SIMD kernels for float32 products, the dense layer's bias and
// activation, its backward mask, maps, bias gradients, gathers and optimizer steps where the
// runtime has them; the TypeScript kernels for everything else. Selection is in backend.ts.
import type { DType, FloatArray } from "../dtype.js";
import type {
  AdamArgs, Backend, BceLogitsArgs, BceLogitsGradArgs, DescendArgs, FillArgs, GatherRowsArgs,
  LeakyStepMulArgs, LinearArgs, MatmulArgs, ReduceArgs, UnaryArgs,
} from "./contract.js";
import {
  bceLogits as jsBceLogits, bceLogitsGrad as jsBceLogitsGrad, leakyStepMul as jsLeakyStepMul,
} from "./elementwise.js";
import { checkIndices } from "./indices.js";
import { jsBackend } from "./js-backend.js";
import { linear as jsLinear } from "./linear.js";
import { gatherRows as jsGatherRows } from "./layout.js";
import { unary as jsUnary } from "./maps.js";
import { matmul as jsMatmul } from "./matmul.js";
import { reduce as jsReduce } from "./reduce.js";
import { guardReleased, markReleased } from "./released.js";
import { descend as jsDescend } from "./update.js";
import {
  configureKernels, isResidentFloat32, releaseResident, residentFloat32, residentFloat64,
  wasmActivation, wasmAdam, wasmBceLogits, wasmColumnSum, wasmDescend, wasmGatherRows,
  wasmLeakyStepMul, wasmLinear, wasmMatmul, wasmSimdAvailable, wasmStartGatherRows, zeroResident,
} from "./wasm/index.js";
import { type CnnKernelName, cnnDispatch } from "./cnn-kernels.js";

// Not variadic: these run on every kernel call, and rest arguments allocate.
const f32 = (a: FloatArray | null): boolean => a === null || a instanceof Float32Array;
const allFloat32 = (a: FloatArray, b: FloatArray | null, c: FloatArray | null = null,
  d: FloatArray | null = null): boolean => f32(a) && f32(b) && f32(c) && f32(d);

function matmul(args: MatmulArgs): void {
  const { a, b, out } = args;
  if (allFloat32(a, b, out) && wasmSimdAvailable()) {
    wasmMatmul(args as MatmulArgs & { a: Float32Array; b: Float32Array; out: Float32Array });
  } else {
    jsMatmul(args);
  }
}

function linear(args: LinearArgs): void {
  const { x, w, bias, out } = args;
  if (allFloat32(x, w, bias, out) && wasmSimdAvailable()) {
    wasmLinear(args as Parameters<typeof wasmLinear>[0]);
  } else {
    jsLinear(args);
  }
}

function leakyStepMul(args: LeakyStepMulArgs): void {
  const { dy, y, out, slope, nanAsPositive } = args;
  if (allFloat32(dy, y, out) && wasmSimdAvailable()) {
    wasmLeakyStepMul(
      dy as Float32Array, y as Float32Array, out as Float32Array, slope, nanAsPositive);
  } else {
    jsLeakyStepMul(args);
  }
}

// Below this many elements the copies into WebAssembly memory cost more than the loop saves.
const DESCEND_MIN = 256;

function descend(args: DescendArgs): void {
  const { w, g, learningRate } = args;
  if (w.length >= DESCEND_MIN && allFloat32(w, g) && wasmSimdAvailable()) {
    wasmDescend(w as Float32Array, g as Float32Array, learningRate);
  } else {
    jsDescend(args);
  }
}

/** Zeros (+0) into a whole resident array with memory.fill; everything else in TypeScript. */
function fill(args: FillArgs): void {
  if (!(Object.is(args.value, 0) && wasmSimdAvailable() && zeroResident(args.out))) {
    jsBackend.fill(args);
  }
}

function adam(args: AdamArgs): void {
  if (wasmSimdAvailable()) wasmAdam(args);
  else jsBackend.adam(args);
}

/** softplus and sigmoid of float32 on wasm (exp and log1p in f64); the rest in TypeScript. */
function unary(args: UnaryArgs): void {
  const { op, x, out } = args;
  if ((op === "softplus" || op === "sigmoid") && allFloat32(x, out) && wasmSimdAvailable()) {
    wasmActivation(op, x as Float32Array, out as Float32Array);
  } else {
    jsUnary(args);
  }
}

function bceLogits(args: BceLogitsArgs): void {
  const { x, t, out } = args;
  if (allFloat32(x, t, out) && wasmSimdAvailable()) {
    wasmBceLogits(x as Float32Array, t as Float32Array, null, out as Float32Array);
  } else {
    jsBceLogits(args);
  }
}

function bceLogitsGrad(args: BceLogitsGradArgs): void {
  const { x, t, dy, out } = args;
  if (allFloat32(x, t, dy, out) && wasmSimdAvailable()) {
    wasmBceLogits(x as Float32Array, t as Float32Array, dy as Float32Array, out as Float32Array);
  } else {
    jsBceLogitsGrad(args);
  }
}

function gatherRows(args: GatherRowsArgs): void {
  const { caller, x, rows, rowSize, indices, out } = args;
  if (!allFloat32(x, out)) {
    jsGatherRows(args);
    return;
  }
  checkIndices(caller, indices, rows);
  if (!wasmGatherRows(x as Float32Array, rowSize, indices, out as Float32Array)) {
    jsGatherRows(args); // checks again: cheap next to the copy
  }
}

/** Starts a float32 row gather on a helper thread; see `Backend.startGatherRows`. */
function startGatherRows(args: GatherRowsArgs): (() => void) | null {
  const { caller, x, rows, rowSize, indices, out } = args;
  if (!allFloat32(x, out) || !wasmSimdAvailable()) return null;
  checkIndices(caller, indices, rows);
  return wasmStartGatherRows(x as Float32Array, rowSize, indices, out as Float32Array);
}

/**
 * Sums over leading axes with the innermost axis kept (a bias gradient, sum(dy, 0)) on wasm;
 * the TypeScript kernel otherwise. On that layout both add rows in order, rounding each time.
 */
function reduce(args: ReduceArgs): void {
  const { op, x, shape, out, outStrides } = args;
  const cols = leadingReduction(shape, outStrides);
  if (op === "sum" && cols > 0 && allFloat32(x, out) && wasmSimdAvailable()) {
    wasmColumnSum(x as Float32Array, out as Float32Array, x.length / cols, cols);
  } else {
    jsReduce(args);
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
 * Zeroed storage of `size` elements that the WebAssembly kernels use in place (it lives in
 * their shared memory) where that is available, else an ordinary typed array. For long-lived
 * buffers the fast kernels update every step, such as optimizer state.
 */
export function residentStorage(dtype: DType, size: number): FloatArray {
  return residentOrNull(dtype, size) ?? (dtype === "float64"
    ? new Float64Array(size)
    : new Float32Array(size));
}

function residentOrNull(dtype: DType, size: number): FloatArray | null {
  return dtype === "float64" ? residentFloat64(size) : residentFloat32(size);
}

/**
 * The float32 CNN kernels on WebAssembly, set by `installWasmCnn` (cnn-install.ts) when a program
 * loads the CNN ops: a bundle without them carries none of their code.
 */
const cnn: Partial<Pick<Backend, CnnKernelName>> = {};

/** Installs wasm implementations of CNN kernels (see `cnn`). */
export function setWasmCnnKernels(kernels: Partial<Pick<Backend, CnnKernelName>>): void {
  Object.assign(cnn, kernels);
}

/**
 * TypeScript kernels, with float32 matrix products (and the fused linear layer's bias and
 * activation, its backward mask, bias gradients, the SGD step and the Adam step on arrays in
 * WebAssembly memory) on WebAssembly SIMD when available;
 * convolution, max pooling and batch norm too once a program loads the CNN ops.
 */
export const wasmBackend: Backend = guardReleased({
  ...jsBackend, name: "wasm-simd", matmul, linear, leakyStepMul, reduce, descend, adam, fill,
  gatherRows, unary, bceLogits, bceLogitsGrad, startGatherRows,
  residentStorage: residentOrNull, isResident: isResidentFloat32, releaseResident: releaseStorage,
  // Float32 convolution and max pooling once installed (cnn-install.ts), else TypeScript.
  ...cnnDispatch(cnn),
});

/**
 * Turns zero skipping in float32 matrix products on (the default) or off. With it, the steps
 * where a panel of the left operand's rows is all zeros (most of an MNIST image) are left
 * out; the results are the same bits either way, so this is for timing the dense kernels.
 */
export function setSkipZeros(enabled: boolean): void {
  if (typeof enabled !== "boolean") {
    throw new TypeError(`setSkipZeros: enabled must be a boolean; got ${String(enabled)}`);
  }
  if (wasmSimdAvailable()) configureKernels({ skipZeros: enabled });
}

/**
 * Gives storage from `residentStorage` back at once, instead of when it is garbage collected
 * (a loop that makes buffers over and over would otherwise grow the WebAssembly memory, which
 * never shrinks). Any later use of the array (or of a tensor holding it) throws an error
 * saying it was released. Arrays from elsewhere are only marked so.
 */
export function releaseStorage(data: FloatArray): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new TypeError("releaseStorage: data must be a Float32Array or Float64Array");
  }
  markReleased(data);
  releaseResident(data);
}
