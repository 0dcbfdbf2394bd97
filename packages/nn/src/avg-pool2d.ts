// AvgPool2d: average pooling over windows of [batch, channels, height, width], as nn.AvgPool2d.
import { type Size2, type Tensor, avgPool2d, checkOptions } from "@tapegrad/core";
import { booleanOption, windowOptions } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { registerLayers } from "./layer-registry.js";
import { avgPool2dLayerSchema, type AvgPool2dLayerSpec } from "./spec-schema.js";
import { poolShape } from "./spec-shapes.js";
import { AVG_POOL2D_TORCH } from "./torch-layers.js";

/** Options of {@link AvgPool2d}: PyTorch's nn.AvgPool2d arguments, in camelCase. */
export interface AvgPool2dLayerOptions {
  readonly kernelSize: Size2;
  /** Step between windows (default: the window size). */
  readonly stride?: Size2;
  /** Implicit zero padding on each side, at most half the window (default 0). */
  readonly padding?: Size2;
  /** Round the output size up (default false). */
  readonly ceilMode?: boolean;
  /** Count padded positions in each window's divisor (default true). */
  readonly countIncludePad?: boolean;
}

/**
 * Average pooling (PyTorch's nn.AvgPool2d): [batch, channels, height, width] → [batch,
 * channels, outHeight, outWidth], the mean of each window (PyTorch's divisors).
 * @example new AvgPool2d({ kernelSize: 3, stride: 2, padding: 1 }).forward(h)
 */
export class AvgPool2d extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "avgPool2d";
  /** The schema of its spec entries. */
  static readonly specSchema = avgPool2dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = poolShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = AVG_POOL2D_TORCH;

  /** The layer for a spec entry. */
  static fromSpec(layer: AvgPool2dLayerSpec): AvgPool2d {
    const { type: _, ...options } = layer;
    return new AvgPool2d(options);
  }

  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(options: AvgPool2dLayerOptions) {
    super();
    const where = "AvgPool2d";
    const o = checkOptions(where, options,
      ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad"]);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      ceilMode: this.ceilMode } = windowOptions(where, o));
    this.countIncludePad = booleanOption(where, "countIncludePad", o.countIncludePad ?? true);
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(checkInput("AvgPool2d", x), {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    });
  }
}

registerLayers(AvgPool2d);
