// The convolutional-network kernels as one group of the backend: each takes one record of named
// arguments, and each has a descriptor saying which of its buffers it writes.
import { channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad, padPlanes } from "./conv.js";
import { classProbabilities, embedding, embeddingBackward } from "./lookup.js";
import { batchNormUpdate } from "./norm.js";
import {
  avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward, maxPool2dGather,
} from "./pool.js";
import { dropoutMask } from "./random-bits.js";

/** The kernels of conv, pooling, normalization, embedding and dropout ops. */
export interface CnnKernels {
  readonly padPlanes: typeof padPlanes;
  readonly conv2d: typeof conv2d;
  readonly conv2dInputGrad: typeof conv2dInputGrad;
  readonly conv2dWeightGrad: typeof conv2dWeightGrad;
  readonly channelSum: typeof channelSum;
  readonly maxPool2d: typeof maxPool2d;
  readonly maxPool2dBackward: typeof maxPool2dBackward;
  readonly maxPool2dGather: typeof maxPool2dGather;
  readonly avgPool2d: typeof avgPool2d;
  readonly avgPool2dBackward: typeof avgPool2dBackward;
  readonly batchNormUpdate: typeof batchNormUpdate;
  readonly embedding: typeof embedding;
  readonly embeddingBackward: typeof embeddingBackward;
  readonly classProbabilities: typeof classProbabilities;
  readonly dropoutMask: typeof dropoutMask;
}

/** The TypeScript implementations: every dtype, and the reference for the fast ones. */
export const cnnKernels: CnnKernels = {
  padPlanes, conv2d, conv2dInputGrad, conv2dWeightGrad, channelSum, maxPool2d,
  maxPool2dBackward, maxPool2dGather, avgPool2d, avgPool2dBackward, batchNormUpdate, embedding,
  embeddingBackward, classProbabilities, dropoutMask,
};

/**
 * What a kernel taking a record of arguments does to its buffers, for compileStep: `writes`
 * names the fields it writes (each overwritten whole, never read first, when `overwrites`);
 * `state` names fields it updates in place that may belong to no trace — running statistics,
 * a generator's state — which a replay updates again, as the eager op would.
 */
export interface RecordWrite {
  readonly writes: readonly string[];
  readonly overwrites: boolean;
  readonly state?: readonly string[];
}

export const CNN_WRITES: Readonly<Record<keyof CnnKernels, RecordWrite>> = {
  padPlanes: { writes: ["out"], overwrites: true },
  conv2d: { writes: ["out"], overwrites: true },
  conv2dInputGrad: { writes: ["dx"], overwrites: true },
  conv2dWeightGrad: { writes: ["dw"], overwrites: true },
  channelSum: { writes: ["out"], overwrites: true },
  maxPool2d: { writes: ["out", "indices"], overwrites: true },
  maxPool2dBackward: { writes: ["dx"], overwrites: true },
  maxPool2dGather: { writes: ["out"], overwrites: true },
  avgPool2d: { writes: ["out"], overwrites: true },
  avgPool2dBackward: { writes: ["dx"], overwrites: true },
  batchNormUpdate: { writes: [], overwrites: false, state: ["runningMean", "runningVar"] },
  embedding: { writes: ["out"], overwrites: true },
  embeddingBackward: { writes: ["dTable"], overwrites: true },
  classProbabilities: { writes: ["out"], overwrites: true },
  dropoutMask: { writes: ["out"], overwrites: true, state: ["state"] },
};
