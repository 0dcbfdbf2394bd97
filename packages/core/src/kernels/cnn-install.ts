// Installs the convolutional-network kernels when a program loads the ops that use them, so a
// bundle without those ops carries none of their code: each op module (ops/conv.ts, pool.ts,
// norm.ts, embedding.ts, class-probabilities.ts, dropout.ts) calls its installer once when
// loaded. Wiring only: nothing here touches element data.
import { installCnnKernels } from "./cnn-kernels.js";
import { channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad, padPlanes } from "./conv.js";
import { classProbabilities, embedding, embeddingBackward } from "./lookup.js";
import {
  batchNormBackward, batchNormEval, batchNormForward, batchNormUpdate,
} from "./norm.js";
import {
  avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward, maxPool2dGather,
} from "./pool.js";
import { dropoutMask } from "./random-bits.js";
import { setWasmCnnKernels } from "./wasm-backend.js";
import { cnnExtension } from "./wasm/conv-module.js";
import {
  wasmChannelSum, wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad, wasmMaxPool2d,
  wasmMaxPool2dBackward, wasmPadPlanes,
} from "./wasm/conv-run.js";
import { registerExtension } from "./wasm/extensions.js";
import { normExtension } from "./wasm/norm-module.js";
import {
  wasmBatchNormBackward, wasmBatchNormEval, wasmBatchNormForward,
} from "./wasm/norm-runner.js";

let wasmInstalled = false;

/**
 * Adds the convolution and pooling kernels to the WebAssembly module built from now on and
 * routes the wasm backend's float32 convolution and max pooling to them (once). A module built
 * before keeps running them in TypeScript until it is rebuilt (`setNumThreads`).
 */
export function installWasmCnn(): void {
  if (wasmInstalled) return;
  wasmInstalled = true;
  registerExtension(cnnExtension);
  setWasmCnnKernels({
    padPlanes: wasmPadPlanes, conv2d: wasmConv2d, conv2dInputGrad: wasmConv2dInputGrad,
    conv2dWeightGrad: wasmConv2dWeightGrad, channelSum: wasmChannelSum,
    maxPool2d: wasmMaxPool2d, maxPool2dBackward: wasmMaxPool2dBackward,
  });
}

/** Convolution (ops/conv.ts): the TypeScript kernels, and the wasm ones. */
export function installConvKernels(): void {
  installCnnKernels({ padPlanes, conv2d, conv2dInputGrad, conv2dWeightGrad, channelSum });
  installWasmCnn();
}

/** Pooling (ops/pool.ts): the TypeScript kernels, and the wasm ones. */
export function installPoolKernels(): void {
  installCnnKernels({
    maxPool2d, maxPool2dBackward, maxPool2dGather, avgPool2d, avgPool2dBackward,
  });
  installWasmCnn();
}

/** Batch normalization's fused training pass, its gradient and the running-statistics update. */
export function installNormKernels(): void {
  installCnnKernels({ batchNormUpdate, batchNormForward, batchNormBackward, batchNormEval });
  installWasmNorm();
}

let wasmNormInstalled = false;

/**
 * Adds the batch-norm kernels to the WebAssembly module built from now on and routes the wasm
 * backend's float32 batch norm to them (once); as `installWasmCnn`.
 */
export function installWasmNorm(): void {
  if (wasmNormInstalled) return;
  wasmNormInstalled = true;
  registerExtension(normExtension);
  setWasmCnnKernels({
    batchNormForward: wasmBatchNormForward, batchNormBackward: wasmBatchNormBackward,
    batchNormEval: wasmBatchNormEval,
  });
}

/** Embedding lookups (ops/embedding.ts). */
export function installEmbeddingKernels(): void {
  installCnnKernels({ embedding, embeddingBackward });
}

/** Class-index targets (ops/class-probabilities.ts). */
export function installClassKernels(): void {
  installCnnKernels({ classProbabilities });
}

/** Dropout masks (ops/dropout.ts). */
export function installDropoutKernels(): void {
  installCnnKernels({ dropoutMask });
}
