// Conv1d: a 1-D convolution layer over [batch, channels, length], with PyTorch's arguments.
import { type DType, type Rng, type Tensor, checkOptions, conv1d } from "@tapegrad/core";
import { type ActivationName, activation } from "./activations.js";
import { checkGroups } from "./conv2d.js";
import { type InitName, type InitOptions, initialize, weightFans } from "./init.js";
import {
  booleanOption, initRng, integerOption, paddingOption, sizeOption,
} from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { conv1dLayerSchema, type Conv1dLayerSpec } from "./spec-schema.js";
import { conv1dShape } from "./spec-shapes.js";
import { CONV1D_TORCH } from "./torch-layers.js";

/** Options of a {@link Conv1d} layer: PyTorch's nn.Conv1d arguments, in camelCase. */
export interface Conv1dLayerOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  /** Default 1. */
  readonly stride?: number;
  /** Zeros added on each side (default 0), "valid" (0) or "same" (stride 1 only). */
  readonly padding?: number | "same" | "valid";
  /** Default 1. */
  readonly dilation?: number;
  /** Channel groups (default 1). */
  readonly groups?: number;
  /** Whether the layer has a bias (default true). */
  readonly bias?: boolean;
  /** Applied to the output (default "identity"); "relu" is fused into the convolution. */
  readonly activation?: ActivationName;
  /** Slope for leakyRelu (default 0.01). */
  readonly alpha?: number;
  /** Weight initialiser (default "glorotUniform", fans from the kernel size) and its options. */
  readonly init?: InitName;
  readonly initOptions?: InitOptions;
  /** Bias initialiser (default "zeros"). */
  readonly biasInit?: InitName;
  readonly rng?: Rng;
  readonly seed?: number;
  readonly dtype?: DType;
}

const CONV1D_KEYS = [
  "inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "bias",
  "activation", "alpha", "init", "initOptions", "biasInit", "rng", "seed", "dtype",
];

/**
 * A 1-D convolution layer (PyTorch's nn.Conv1d): [batch, inChannels, length] → [batch,
 * outChannels, outLength]. The weight is [outChannels, inChannels/groups, kernelSize], as
 * PyTorch stores it; Glorot-uniform with fans from the kernel size by default.
 * @example
 * const conv = new Conv1d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: "same" });
 * conv.forward(signals); // [32, 4, 100] → [32, 8, 100]
 */
export class Conv1d extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "conv1d";
  /** The schema of its spec entries. */
  static readonly specSchema = conv1dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = conv1dShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = CONV1D_TORCH;

  /** The layer for a spec entry; its input channels come from the inferred input shape. */
  static fromSpec(layer: Conv1dLayerSpec, context: LayerContext): Conv1d {
    const { type: _, inChannels: __, ...options } = layer;
    return new Conv1d({
      ...options, inChannels: context.input[0], rng: context.rng, dtype: context.dtype,
    });
  }

  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | "same" | "valid";
  readonly dilation: number;
  readonly groups: number;
  readonly activationName: ActivationName;
  readonly alpha: number;
  private readonly activate: (x: Tensor) => Tensor;

  constructor(options: Conv1dLayerOptions) {
    super();
    const where = "Conv1d";
    const o = checkOptions(where, options, CONV1D_KEYS);
    this.inChannels = integerOption(where, "inChannels", o.inChannels);
    this.outChannels = integerOption(where, "outChannels", o.outChannels);
    this.kernelSize = integerOption(where, "kernelSize", o.kernelSize);
    this.stride = sizeOption(where, "stride", o.stride ?? 1, 1) as number;
    this.padding = paddingOption(where, o.padding ?? 0, 1) as number | "same" | "valid";
    this.dilation = sizeOption(where, "dilation", o.dilation ?? 1, 1) as number;
    this.groups = integerOption(where, "groups", o.groups ?? 1);
    checkGroups(where, this.inChannels, this.outChannels, this.groups);
    if (this.padding === "same" && this.stride !== 1) {
      throw new RangeError(`${where}: padding "same" needs stride 1 (as in PyTorch); got ` +
        `stride ${this.stride}`);
    }
    this.activationName = o.activation ?? "identity";
    this.alpha = o.alpha ?? 0.01;
    this.activate = activation(this.activationName, { alpha: this.alpha });
    const shape = [this.outChannels, this.inChannels / this.groups, this.kernelSize];
    const rng = initRng(where, o);
    const ctx = { ...weightFans(shape), rng, dtype: o.dtype };
    this.weight = this.registerParameter(
      "weight", initialize(o.init ?? "glorotUniform", { ...ctx, shape }, o.initOptions));
    const withBias = booleanOption(where, "bias", o.bias ?? true);
    this.bias = withBias
      ? this.registerParameter("bias",
        initialize(o.biasInit ?? "zeros", { ...ctx, shape: [this.outChannels] }))
      : null;
  }

  /** The convolution before the activation (the logits when this is the last layer). */
  linear(x: Tensor): Tensor {
    return conv1d(checkInput("Conv1d.linear", x), this.weight, this.bias, this.convOptions());
  }

  forward(x: Tensor): Tensor {
    checkInput("Conv1d", x);
    if (this.activationName === "relu") {
      return conv1d(x, this.weight, this.bias, { ...this.convOptions(), activation: "relu" });
    }
    return this.activate(this.linear(x));
  }

  private convOptions() {
    return {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    };
  }
}

registerLayers(Conv1d);
