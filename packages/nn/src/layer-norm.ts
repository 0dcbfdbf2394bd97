// LayerNorm: normalization over each sample's last dimensions, as PyTorch's nn.LayerNorm.
import {
  type DType, ShapeError, type Tensor, checkOptions, formatShape, full, layerNorm, zeros,
} from "@tapegrad/core";
import { booleanOption, integerOption, nonNegativeOption, show } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { layerNormLayerSchema, type LayerNormLayerSpec } from "./spec-schema.js";
import { layerNormShape } from "./spec-shapes.js";
import { LAYER_NORM_TORCH } from "./torch-layers.js";

/** Options of {@link LayerNorm}: PyTorch's nn.LayerNorm arguments, in camelCase. */
export interface LayerNormLayerOptions {
  /** The trailing dimensions normalised over: one size (the last axis) or several. */
  readonly normalizedShape: number | readonly number[];
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Learn a scale (weight, from 1) and a shift (bias, from 0) per element (default true). */
  readonly elementwiseAffine?: boolean;
  readonly dtype?: DType;
}

/**
 * Layer normalization (PyTorch's nn.LayerNorm): each sample is normalised over its last
 * dimensions `normalizedShape` by their mean and biased variance, then scaled and shifted by
 * `weight` and `bias` of that shape. Same shape out as in; no running statistics.
 * @example new LayerNorm({ normalizedShape: 64 }).forward(h) // [32, 10, 64] → [32, 10, 64]
 */
export class LayerNorm extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "layerNorm";
  /** The schema of its spec entries. */
  static readonly specSchema = layerNormLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = layerNormShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = LAYER_NORM_TORCH;

  /** The layer for a spec entry; normalizedShape defaults to the input's last dimension. */
  static fromSpec(layer: LayerNormLayerSpec, context: LayerContext): LayerNorm {
    const { type: _, normalizedShape, ...options } = layer;
    return new LayerNorm({
      ...options, normalizedShape: normalizedShape ?? context.input.slice(-1),
      dtype: context.dtype,
    });
  }

  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(options: LayerNormLayerOptions) {
    super();
    const where = "LayerNorm";
    const o = checkOptions(where, options,
      ["normalizedShape", "eps", "elementwiseAffine", "dtype"]);
    const given = o.normalizedShape;
    const shape = typeof given === "number" ? [given] : given;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new RangeError(`${where}: normalizedShape must be a positive integer or a list of ` +
        `them; got ${show(given)}`);
    }
    this.normalizedShape = shape.map((d, i) => integerOption(where, `normalizedShape[${i}]`, d));
    this.eps = nonNegativeOption(where, "eps", o.eps ?? 1e-5);
    const affine = booleanOption(where, "elementwiseAffine", o.elementwiseAffine ?? true);
    const dtype = o.dtype;
    this.weight = affine
      ? this.registerParameter("weight", full(this.normalizedShape, 1, { dtype })) : null;
    this.bias = affine
      ? this.registerParameter("bias", zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    checkInput("LayerNorm", x);
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank <= k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`LayerNorm: input must be [batch, ..., ${this.normalizedShape
        .join(", ")}]; got ${formatShape(x.shape)}`);
    }
    const { weight, bias, eps } = this;
    return layerNorm(x, this.normalizedShape, { weight, bias, eps });
  }
}

registerLayers(LayerNorm);
