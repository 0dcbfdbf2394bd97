// The PyTorch modules of the layer types besides Dense and Activation: one entry each, held by
// the class as its static `torch`, so that a bundle carries the entries of the classes it has
// (a model can only hold layers whose class is in the program) and no other.
import type { Size2 } from "@tapegrad/core";
import type { AvgPool2d } from "./avg-pool2d.js";
import type { BatchNorm } from "./batch-norm.js";
import type { Conv1d } from "./conv1d.js";
import type { Conv2d } from "./conv2d.js";
import type { Dropout } from "./dropout.js";
import type { Embedding } from "./embedding.js";
import type { Flatten } from "./flatten.js";
import type { LayerNorm } from "./layer-norm.js";
import type { MaxPool2d } from "./max-pool2d.js";
import { layerClassName } from "./layer-registry.js";
import type { Module } from "./module.js";
import {
  type TorchArg, type TorchLayer, type TorchModule, type TorchTensor, activationModule, module,
  sameLayout,
} from "./torch-modules.js";

// An entry named as the class is (`Conv2d`), or with `describe` as for Conv2d's
// `Conv2d 1 → 16, relu`.
function entry<L extends Module>(
  toTorch: (layer: L, source: string) => TorchModule[],
  describe: (layer: L) => string = layerClassName,
): TorchLayer {
  return { toTorch: (m, s) => toTorch(m as L, s), describe: (m) => describe(m as L) };
}

/** A size as PyTorch prints it: 5, or (5, 3). */
const size = (s: Size2): TorchArg => (typeof s === "number" ? s : [s[0], s[1]]);

/** Conv2d and Conv1d: nn.Conv2d/nn.Conv1d (weights as PyTorch's), then the activation. */
function convToTorch(type: "Conv2d" | "Conv1d") {
  return (c: Conv2d | Conv1d, source: string): TorchModule[] => {
    const tensors: TorchTensor[] = [sameLayout("weight", c.weight)];
    if (c.bias) tensors.push(sameLayout("bias", c.bias));
    const conv = module(type, source, {
      in_channels: c.inChannels, out_channels: c.outChannels, kernel_size: size(c.kernelSize),
      stride: size(c.stride), padding: typeof c.padding === "string" ? c.padding : size(c.padding),
      dilation: size(c.dilation), groups: c.groups, bias: c.bias !== null,
    }, tensors);
    if (c.activationName === "identity") return [conv];
    return [conv, activationModule(c.activationName, c.alpha, source)];
  };
}

/** BatchNorm1d/2d: affine weight and bias, then the running statistics as buffers. */
function batchNormToTorch(type: "BatchNorm1d" | "BatchNorm2d") {
  return (b: BatchNorm, source: string): TorchModule[] => {
    const tensors: TorchTensor[] = [];
    if (b.weight && b.bias) {
      tensors.push(sameLayout("weight", b.weight), sameLayout("bias", b.bias));
    }
    if (b.runningMean && b.runningVar && b.numBatchesTracked) {
      tensors.push(sameLayout("running_mean", b.runningMean),
        sameLayout("running_var", b.runningVar),
        sameLayout("num_batches_tracked", b.numBatchesTracked, "int64"));
    }
    return [module(type, source, {
      num_features: b.numFeatures, eps: b.eps, momentum: b.momentum, affine: b.weight !== null,
      track_running_stats: b.runningMean !== null,
    }, tensors)];
  };
}

/** nn.Conv2d (weights as PyTorch's), then the activation: `Conv2d 1 → 16, relu`. */
export const CONV2D_TORCH = entry<Conv2d>(convToTorch("Conv2d"), describeConv);
/** nn.Conv1d, then the activation. */
export const CONV1D_TORCH = entry<Conv1d>(convToTorch("Conv1d"), describeConv);
/** nn.MaxPool2d. */
export const MAX_POOL2D_TORCH = entry<MaxPool2d>((p, source) => [module("MaxPool2d", source, {
  kernel_size: size(p.kernelSize), stride: size(p.stride), padding: size(p.padding),
  dilation: size(p.dilation), ceil_mode: p.ceilMode,
})]);
/** nn.AvgPool2d. */
export const AVG_POOL2D_TORCH = entry<AvgPool2d>((p, source) => [module("AvgPool2d", source, {
  kernel_size: size(p.kernelSize), stride: size(p.stride), padding: size(p.padding),
  ceil_mode: p.ceilMode, count_include_pad: p.countIncludePad,
})]);
/** [n, c, h, w] → [n, c]: the mean of each plane, then the 1×1 planes flattened away. */
export const GLOBAL_AVG_POOL2D_TORCH = entry((_p, source) => [
  module("AdaptiveAvgPool2d", source, { output_size: 1 }),
  module("Flatten", source, { start_dim: 1, end_dim: -1 }),
]);
/** nn.Flatten. */
export const FLATTEN_TORCH = entry<Flatten>((f, source) => [module("Flatten", source, {
  start_dim: f.startDim, end_dim: f.endDim,
})]);
/** nn.Dropout. */
export const DROPOUT_TORCH = entry<Dropout>((d, source) => [
  module("Dropout", source, { p: d.p }),
]);
/** nn.BatchNorm1d: `BatchNorm1d 16`. */
export const BATCH_NORM1D_TORCH = entry(batchNormToTorch("BatchNorm1d"), describeBatchNorm);
/** nn.BatchNorm2d: `BatchNorm2d 16`. */
export const BATCH_NORM2D_TORCH = entry(batchNormToTorch("BatchNorm2d"), describeBatchNorm);
/** nn.LayerNorm. */
export const LAYER_NORM_TORCH = entry<LayerNorm>((l, source) => [module("LayerNorm", source, {
  normalized_shape: [...l.normalizedShape], eps: l.eps, elementwise_affine: l.weight !== null,
}, l.weight && l.bias ? [sameLayout("weight", l.weight), sameLayout("bias", l.bias)] : [])]);
/** nn.Embedding. */
export const EMBEDDING_TORCH = entry<Embedding>((e, source) => [module("Embedding", source, {
  num_embeddings: e.numEmbeddings, embedding_dim: e.embeddingDim,
}, [sameLayout("weight", e.weight)])]);

function describeConv(c: Conv2d | Conv1d): string {
  const act = c.activationName === "identity" ? "" : `, ${c.activationName}`;
  return `${layerClassName(c)} ${c.inChannels} → ${c.outChannels}${act}`;
}

function describeBatchNorm(b: BatchNorm): string {
  return `${layerClassName(b)} ${b.numFeatures}`;
}
