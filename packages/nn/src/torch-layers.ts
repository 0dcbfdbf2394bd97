// The PyTorch modules of the layer types besides Dense and Activation: one entry each, matched
// by the class's spec type, so that this table (in every bundle that writes weight files)
// names none of their classes and carries none of their code.
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
import { layerClassName, specTypeOf } from "./layer-registry.js";
import type { Module } from "./module.js";
import {
  type TorchArg, type TorchMapping, type TorchModule, type TorchTensor, activationModule, module,
  sameLayout,
} from "./torch-modules.js";

function byType<L extends Module>(
  type: string, toTorch: (layer: L, source: string) => TorchModule[],
): TorchMapping {
  const name = type[0].toUpperCase() + type.slice(1);
  return {
    layer: name, matches: (m) => specTypeOf(m) === type, toTorch: (m, s) => toTorch(m as L, s),
  };
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

/** The entries, in no particular order (each matches one spec type). */
export const LAYER_MAPPINGS: readonly TorchMapping[] = [
  byType<Conv2d>("conv2d", convToTorch("Conv2d")),
  byType<Conv1d>("conv1d", convToTorch("Conv1d")),
  byType<MaxPool2d>("maxPool2d", (p, source) => [module("MaxPool2d", source, {
    kernel_size: size(p.kernelSize), stride: size(p.stride), padding: size(p.padding),
    dilation: size(p.dilation), ceil_mode: p.ceilMode,
  })]),
  byType<AvgPool2d>("avgPool2d", (p, source) => [module("AvgPool2d", source, {
    kernel_size: size(p.kernelSize), stride: size(p.stride), padding: size(p.padding),
    ceil_mode: p.ceilMode, count_include_pad: p.countIncludePad,
  })]),
  // [n, c, h, w] → [n, c]: the mean of each plane, then the 1×1 planes flattened away.
  byType("globalAvgPool2d", (_p, source) => [
    module("AdaptiveAvgPool2d", source, { output_size: 1 }),
    module("Flatten", source, { start_dim: 1, end_dim: -1 }),
  ]),
  byType<Flatten>("flatten", (f, source) => [module("Flatten", source, {
    start_dim: f.startDim, end_dim: f.endDim,
  })]),
  byType<Dropout>("dropout", (d, source) => [module("Dropout", source, { p: d.p })]),
  byType<BatchNorm>("batchNorm1d", batchNormToTorch("BatchNorm1d")),
  byType<BatchNorm>("batchNorm2d", batchNormToTorch("BatchNorm2d")),
  byType<LayerNorm>("layerNorm", (l, source) => [module("LayerNorm", source, {
    normalized_shape: [...l.normalizedShape], eps: l.eps, elementwise_affine: l.weight !== null,
  }, l.weight && l.bias ? [sameLayout("weight", l.weight), sameLayout("bias", l.bias)] : [])]),
  byType<Embedding>("embedding", (e, source) => [module("Embedding", source, {
    num_embeddings: e.numEmbeddings, embedding_dim: e.embeddingDim,
  }, [sameLayout("weight", e.weight)])]),
];

/** `Conv2d 1 → 16, relu` and the like, for messages; undefined for other modules. */
export function describeSpecLayer(layer: Module): string | undefined {
  const type = specTypeOf(layer);
  if (type === undefined) return undefined;
  const name = layerClassName(layer);
  if (type === "conv2d" || type === "conv1d") {
    const c = layer as Conv2d | Conv1d;
    const act = c.activationName === "identity" ? "" : `, ${c.activationName}`;
    return `${name} ${c.inChannels} → ${c.outChannels}${act}`;
  }
  if (type === "batchNorm1d" || type === "batchNorm2d") {
    return `${name} ${(layer as BatchNorm).numFeatures}`;
  }
  return name;
}
