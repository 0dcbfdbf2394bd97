// Conv2d: a 2-D convolution layer, NCHW, with PyTorch's arguments and weight layout.
import {
  type DType, type Rng, type Size2, type Tensor, checkOptions, conv2d,
} from "@tapegrad/core";
import { type ActivationName, activation } from "./activations.js";
import { type InitName, type InitOptions, initialize, weightFans } from "./init.js";
import {
  booleanOption, initRng, integerOption, paddingOption, sizeOption,
} from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { conv2dLayerSchema, type Conv2dLayerSpec } from "./spec-schema.js";
import { conv2dShape } from "./spec-shapes.js";
import { CONV2D_TORCH } from "./torch-layers.js";

/** Options of a {@link Conv2d} layer: PyTorch's nn.Conv2d arguments, in camelCase. */
export interface Conv2dLayerOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Kernel height and width, or one number for both. */
  readonly kernelSize: Size2;
  /** Default 1. */
  readonly stride?: Size2;
  /** Zeros added on each side (default 0), "valid" (0) or "same" (stride 1 only). */
  readonly padding?: Size2 | "same" | "valid";
  /** Default 1. */
  readonly dilation?: Size2;
  /** Channel groups (default 1); inChannels and outChannels must be multiples of it. */
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
  /** Generator for the initial weights; or a seed for a fresh one. */
  readonly rng?: Rng;
  readonly seed?: number;
  readonly dtype?: DType;
}

const CONV2D_KEYS = [
  "inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "bias",
  "activation", "alpha", "init", "initOptions", "biasInit", "rng", "seed", "dtype",
];

/**
 * A 2-D convolution layer (PyTorch's nn.Conv2d): [batch, inChannels, height, width] →
 * [batch, outChannels, outHeight, outWidth]. The weight is [outChannels, inChannels/groups,
 * kh, kw] and the bias [outChannels], as PyTorch stores them. Initial weights: Glorot uniform
 * with fanIn = inChannels/groups·kh·kw and fanOut = outChannels·kh·kw (PyTorch's own default
 * is Kaiming uniform with a = √5, U(±1/√fanIn) for weight and bias).
 * @example
 * const conv = new Conv2d({ inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2,
 *   activation: "relu", init: "heNormal", seed: 1 });
 * conv.forward(images); // [64, 1, 28, 28] → [64, 16, 28, 28]
 */
export class Conv2d extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "conv2d";
  /** The schema of its spec entries. */
  static readonly specSchema = conv2dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = conv2dShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = CONV2D_TORCH;

  /** The layer for a spec entry; its input channels come from the inferred input shape. */
  static fromSpec(layer: Conv2dLayerSpec, context: LayerContext): Conv2d {
    const { type: _, inChannels: __, ...options } = layer;
    return new Conv2d({
      ...options, inChannels: context.input[0], rng: context.rng, dtype: context.dtype,
    });
  }

  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2 | "same" | "valid";
  readonly dilation: Size2;
  readonly groups: number;
  readonly activationName: ActivationName;
  readonly alpha: number;
  private readonly activate: (x: Tensor) => Tensor;

  constructor(options: Conv2dLayerOptions) {
    super();
    const where = "Conv2d";
    const o = checkOptions(where, options, CONV2D_KEYS);
    this.inChannels = integerOption(where, "inChannels", o.inChannels);
    this.outChannels = integerOption(where, "outChannels", o.outChannels);
    this.kernelSize = sizeOption(where, "kernelSize", o.kernelSize, 2) as Size2;
    this.stride = sizeOption(where, "stride", o.stride ?? 1, 2) as Size2;
    this.padding = paddingOption(where, o.padding ?? 0, 2);
    this.dilation = sizeOption(where, "dilation", o.dilation ?? 1, 2) as Size2;
    this.groups = integerOption(where, "groups", o.groups ?? 1);
    checkGroups(where, this.inChannels, this.outChannels, this.groups);
    if (this.padding === "same" && pair(this.stride).some((s) => s !== 1)) {
      throw new RangeError(`${where}: padding "same" needs stride 1 (as in PyTorch); got ` +
        `stride ${JSON.stringify(this.stride)}`);
    }
    this.activationName = o.activation ?? "identity";
    this.alpha = o.alpha ?? 0.01;
    this.activate = activation(this.activationName, { alpha: this.alpha });
    const [kh, kw] = pair(this.kernelSize);
    const shape = [this.outChannels, this.inChannels / this.groups, kh, kw];
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
    return conv2d(checkInput("Conv2d.linear", x), this.weight, this.bias, this.convOptions());
  }

  forward(x: Tensor): Tensor {
    checkInput("Conv2d", x);
    // relu is fused into the convolution: the same values as relu(conv2d(…)), in one pass.
    if (this.activationName === "relu") {
      return conv2d(x, this.weight, this.bias, { ...this.convOptions(), activation: "relu" });
    }
    return this.activate(this.linear(x));
  }

  private convOptions() {
    return {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    };
  }
}

/** [height, width] of a size given as one number or a pair. */
export function pair(size: Size2): [number, number] {
  return typeof size === "number" ? [size, size] : [size[0], size[1]];
}

/** Throws unless `groups` divides both channel counts. */
export function checkGroups(where: string, inputs: number, outputs: number, groups: number): void {
  if (inputs % groups !== 0 || outputs % groups !== 0) {
    throw new RangeError(`${where}: groups ${groups} must divide inChannels ${inputs} and ` +
      `outChannels ${outputs}`);
  }
}

registerLayers(Conv2d);
