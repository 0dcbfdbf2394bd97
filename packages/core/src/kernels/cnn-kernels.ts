// The TypeScript kernels of the convolutional-network ops (contract.ts names them), gathered for
// js-backend.ts: convolution, pooling, normalization statistics, lookups and dropout masks.
import type { Kernels } from "./contract.js";
import { channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad, padPlanes } from "./conv.js";
import { classProbabilities, embedding, embeddingBackward } from "./lookup.js";
import { batchNormUpdate } from "./norm.js";
import {
  avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward, maxPool2dGather,
} from "./pool.js";
import { dropoutMask } from "./random-bits.js";

/** The convolutional-network kernels' names. */
export type CnnKernelName =
  | "padPlanes" | "conv2d" | "conv2dInputGrad" | "conv2dWeightGrad" | "channelSum"
  | "maxPool2d" | "maxPool2dBackward" | "maxPool2dGather" | "avgPool2d" | "avgPool2dBackward"
  | "batchNormUpdate" | "embedding" | "embeddingBackward" | "classProbabilities"
  | "dropoutMask";

/** The TypeScript implementations: every dtype, and the reference for the fast ones. */
export const cnnKernels: Pick<Kernels, CnnKernelName> = {
  padPlanes, conv2d, conv2dInputGrad, conv2dWeightGrad, channelSum, maxPool2d,
  maxPool2dBackward, maxPool2dGather, avgPool2d, avgPool2dBackward, batchNormUpdate, embedding,
  embeddingBackward, classProbabilities, dropoutMask,
};
