// Installs the convolutional-network kernels when a program loads the ops that use them, so a
// bundle without those ops carries none of their code: each op module (ops/conv.ts, pool.ts,
// norm.ts, embedding.ts, class-probabilities.ts, dropout.ts) calls its installer once when
// loaded, with the kernels' descriptors. Wiring only: nothing here touches element data.
import { type CnnKernelName, installCnnKernels } from "./cnn-kernels.js";
import type { Kernels } from "./contract.js";
import { channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad, padPlanes } from "./conv.js";
import {
  type KernelDescriptors, always, describeCnnKernels, never, overwritesOut,
} from "./descriptors.js";
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

// The TypeScript kernels, with their descriptors (descriptors.ts) for compileStep.
function install<N extends CnnKernelName>(
  kernels: Pick<Kernels, N>, descriptors: KernelDescriptors<N>,
): void {
  installCnnKernels(kernels);
  describeCnnKernels(descriptors);
}

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
  install({ padPlanes, conv2d, conv2dInputGrad, conv2dWeightGrad, channelSum }, {
    padPlanes: overwritesOut,
    conv2d: overwritesOut,
    conv2dInputGrad: { writes: ["dx"], overwrites: always },
    conv2dWeightGrad: { writes: ["dw"], overwrites: always },
    channelSum: overwritesOut,
  });
  installWasmCnn();
}

/** Pooling (ops/pool.ts): the TypeScript kernels, and the wasm ones. */
export function installPoolKernels(): void {
  install({ maxPool2d, maxPool2dBackward, maxPool2dGather, avgPool2d, avgPool2dBackward }, {
    maxPool2d: { writes: ["out", "indices"], overwrites: always },
    maxPool2dBackward: { writes: ["dx"], overwrites: always },
    maxPool2dGather: overwritesOut,
    avgPool2d: overwritesOut,
    avgPool2dBackward: { writes: ["dx"], overwrites: always },
  });
  installWasmCnn();
}

/** Batch normalization's fused training pass, its gradient and the running-statistics update. */
export function installNormKernels(): void {
  install({ batchNormUpdate, batchNormForward, batchNormBackward, batchNormEval }, {
    batchNormUpdate: {
      writes: [], updates: ["runningMean", "runningVar", "batches"], overwrites: never,
    },
    batchNormForward: { writes: ["out", "mean", "variance"], overwrites: always },
    batchNormBackward: { writes: ["dx", "dWeight", "dBias"], overwrites: always },
    batchNormEval: overwritesOut,
  });
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
  install({ embedding, embeddingBackward }, {
    embedding: overwritesOut,
    embeddingBackward: { writes: ["dTable"], overwrites: always },
  });
}

/** Class-index targets (ops/class-probabilities.ts). */
export function installClassKernels(): void {
  install({ classProbabilities }, { classProbabilities: overwritesOut });
}

/** Dropout masks (ops/dropout.ts). */
export function installDropoutKernels(): void {
  // state is a Uint32Array (the generator's words), which a trace never snapshots.
  install({ dropoutMask }, {
    dropoutMask: { writes: ["out"], updates: ["state"], overwrites: always },
  });
}
