// GlobalAvgPool2d: the mean of each channel's plane, a classifier head's pooling.
import { type Tensor, globalAvgPool2d } from "@tapegrad/core";
import { Module, checkInput } from "./module.js";
import { globalAvgPool2dLayerSchema } from "./spec-schema.js";
import { globalAvgPool2dShape } from "./spec-shapes.js";
import { registerLayers } from "./layer-registry.js";
import { GLOBAL_AVG_POOL2D_TORCH } from "./torch-layers.js";

/**
 * The mean of each channel's plane: [batch, channels, height, width] → [batch, channels]
 * (PyTorch's nn.AdaptiveAvgPool2d(1) followed by nn.Flatten()), a classifier head's pooling.
 * @example new GlobalAvgPool2d().forward(h) // [64, 32, 7, 7] → [64, 32]
 */
export class GlobalAvgPool2d extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "globalAvgPool2d";
  /** The schema of its spec entries. */
  static readonly specSchema = globalAvgPool2dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = globalAvgPool2dShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = GLOBAL_AVG_POOL2D_TORCH;

  /** The layer for a spec entry. */
  static fromSpec(): GlobalAvgPool2d {
    return new GlobalAvgPool2d();
  }

  forward(x: Tensor): Tensor {
    return globalAvgPool2d(checkInput("GlobalAvgPool2d", x));
  }
}

registerLayers(GlobalAvgPool2d);
