// Flatten: joins a range of axes, as PyTorch's nn.Flatten (from axis 1 by default).
import { type Tensor, checkOptions, flatten } from "@tapegrad/core";
import { integerOption } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { registerLayers } from "./layer-registry.js";
import { flattenLayerSchema, type FlattenLayerSpec } from "./spec-schema.js";
import { flattenShape } from "./spec-shapes.js";
import { FLATTEN_TORCH } from "./torch-layers.js";

/** Options of {@link Flatten}: PyTorch's nn.Flatten arguments, in camelCase. */
export interface FlattenLayerOptions {
  /** First axis joined (default 1: the batch axis stays). */
  readonly startDim?: number;
  /** Last axis joined, inclusive; negative counts from the end (default -1). */
  readonly endDim?: number;
}

/**
 * Joins axes startDim..endDim into one (PyTorch's nn.Flatten): [batch, c, h, w] → [batch,
 * c·h·w] by default. Shares the data.
 * @example new Flatten().forward(h) // [64, 32, 7, 7] → [64, 1568]
 */
export class Flatten extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "flatten";
  /** The schema of its spec entries. */
  static readonly specSchema = flattenLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = flattenShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = FLATTEN_TORCH;

  /** The layer for a spec entry. */
  static fromSpec(layer: FlattenLayerSpec): Flatten {
    const { type: _, ...options } = layer;
    return new Flatten(options);
  }

  readonly startDim: number;
  readonly endDim: number;

  constructor(options: FlattenLayerOptions = {}) {
    super();
    const o = checkOptions("Flatten", options, ["startDim", "endDim"]);
    this.startDim = integerOption("Flatten", "startDim", o.startDim ?? 1, -Infinity);
    this.endDim = integerOption("Flatten", "endDim", o.endDim ?? -1, -Infinity);
  }

  forward(x: Tensor): Tensor {
    return flatten(checkInput("Flatten", x), this.startDim, this.endDim);
  }
}

registerLayers(Flatten);
