// MaxPool2d: max pooling over windows of [batch, channels, height, width], as nn.MaxPool2d.
import { type Size2, type Tensor, checkOptions, maxPool2d } from "@tapegrad/core";
import { sizeOption, windowOptions } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { registerLayers } from "./layer-registry.js";
import { maxPool2dLayerSchema, type MaxPool2dLayerSpec } from "./spec-schema.js";
import { poolShape } from "./spec-shapes.js";
import { MAX_POOL2D_TORCH } from "./torch-layers.js";

/** Options of {@link MaxPool2d}: PyTorch's nn.MaxPool2d arguments, in camelCase. */
export interface MaxPool2dLayerOptions {
  /** Window height and width, or one number for both. */
  readonly kernelSize: Size2;
  /** Step between windows (default: the window size). */
  readonly stride?: Size2;
  /** Implicit −∞ padding on each side, at most half the window (default 0). */
  readonly padding?: Size2;
  /** Spacing between window taps (default 1). */
  readonly dilation?: Size2;
  /** Round the output size up (default false). */
  readonly ceilMode?: boolean;
}

/**
 * Max pooling (PyTorch's nn.MaxPool2d): [batch, channels, height, width] → [batch, channels,
 * outHeight, outWidth], the largest value of each window.
 * @example new MaxPool2d({ kernelSize: 2 }).forward(h) // [64, 16, 28, 28] → [64, 16, 14, 14]
 */
export class MaxPool2d extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "maxPool2d";
  /** The schema of its spec entries. */
  static readonly specSchema = maxPool2dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = poolShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = MAX_POOL2D_TORCH;

  /** The layer for a spec entry. */
  static fromSpec(layer: MaxPool2dLayerSpec): MaxPool2d {
    const { type: _, ...options } = layer;
    return new MaxPool2d(options);
  }

  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly ceilMode: boolean;

  constructor(options: MaxPool2dLayerOptions) {
    super();
    const where = "MaxPool2d";
    const o = checkOptions(where, options,
      ["kernelSize", "stride", "padding", "dilation", "ceilMode"]);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      ceilMode: this.ceilMode } = windowOptions(where, o));
    this.dilation = sizeOption(where, "dilation", o.dilation ?? 1, 2) as Size2;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(checkInput("MaxPool2d", x), {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }
}

registerLayers(MaxPool2d);
