// BatchNorm1d and BatchNorm2d: batch normalization with running statistics kept as buffers.
import {
  type DType, ShapeError, type Tensor, batchNorm, checkOptions, formatShape, full, zeros,
} from "@tapegrad/core";
import { booleanOption, integerOption, nonNegativeOption } from "./layer-options.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { Module, checkInput } from "./module.js";
import type { BatchNormLayerSpec } from "./spec-schema.js";
import { batchNorm1dLayerSchema, batchNorm2dLayerSchema } from "./spec-schema.js";
import { batchNormShape } from "./spec-shapes.js";
import { BATCH_NORM1D_TORCH, BATCH_NORM2D_TORCH } from "./torch-layers.js";

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}: PyTorch's arguments, in camelCase. */
export interface BatchNormLayerOptions {
  /** Channels C of the input [batch, C, ...]. */
  readonly numFeatures: number;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /**
   * Weight of each batch in the running statistics (default 0.1); null: their cumulative
   * average over every batch so far.
   */
  readonly momentum?: number | null;
  /** Learn a scale (weight, from 1) and a shift (bias, from 0) per channel (default true). */
  readonly affine?: boolean;
  /**
   * Keep running statistics for evaluation (default true); false normalises with each batch's
   * own statistics in both modes and keeps no buffers.
   */
  readonly trackRunningStats?: boolean;
  readonly dtype?: DType;
}

const KEYS = ["numFeatures", "eps", "momentum", "affine", "trackRunningStats", "dtype"];

/**
 * Batch normalization over every axis but the channels (PyTorch's semantics): in training mode
 * each batch is normalised by its own mean and biased variance and the running statistics
 * (buffers `runningMean`, `runningVar`, `numBatchesTracked`) move toward them; in evaluation
 * mode the running statistics are used. The buffers are saved in weight files with PyTorch's
 * names (`running_mean`, `running_var`, `num_batches_tracked`).
 */
export abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  /** Training batches seen (a float64 scalar; int64 in PyTorch's files). */
  readonly numBatchesTracked: Tensor | null;

  constructor(private readonly where: string, options: BatchNormLayerOptions) {
    super();
    const o = checkOptions(where, options, KEYS);
    this.numFeatures = integerOption(where, "numFeatures", o.numFeatures);
    this.eps = nonNegativeOption(where, "eps", o.eps ?? 1e-5);
    const momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (momentum !== null && !(typeof momentum === "number" && momentum >= 0 && momentum <= 1)) {
      throw new RangeError(
        `${where}: momentum must be in [0, 1] or null; got ${String(momentum)}`);
    }
    this.momentum = momentum;
    const c = [this.numFeatures];
    const dtype = o.dtype;
    const affine = booleanOption(where, "affine", o.affine ?? true);
    this.weight = affine ? this.registerParameter("weight", full(c, 1, { dtype })) : null;
    this.bias = affine ? this.registerParameter("bias", zeros(c, { dtype })) : null;
    const track = booleanOption(where, "trackRunningStats", o.trackRunningStats ?? true);
    this.runningMean = track ? this.registerBuffer("runningMean", zeros(c, { dtype })) : null;
    this.runningVar = track ? this.registerBuffer("runningVar", full(c, 1, { dtype })) : null;
    this.numBatchesTracked = track
      ? this.registerBuffer("numBatchesTracked", zeros([], { dtype: "float64" }))
      : null;
  }

  /** The input ranks this layer takes, and their description for errors. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly form: string;

  forward(x: Tensor): Tensor {
    checkInput(this.where, x);
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.where}: input must be ${this.form.replaceAll("C",
        String(this.numFeatures))}; got ${formatShape(x.shape)}`);
    }
    return batchNorm(x, {
      runningMean: this.runningMean, runningVar: this.runningVar,
      numBatchesTracked: this.numBatchesTracked, weight: this.weight, bias: this.bias,
      // Without running statistics there is nothing else to normalise with (as PyTorch).
      training: this.training || this.runningMean === null,
      momentum: this.momentum, eps: this.eps,
    });
  }
}

/**
 * Batch normalization of [batch, C] or [batch, C, length] (PyTorch's nn.BatchNorm1d), over the
 * batch (and length) for each of the C features.
 * @example new BatchNorm1d({ numFeatures: 128 }).forward(h) // [64, 128] → [64, 128]
 */
export class BatchNorm1d extends BatchNorm {
  /** The spec `type` of this layer. */
  static readonly specType = "batchNorm1d";
  /** The schema of its spec entries. */
  static readonly specSchema = batchNorm1dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = batchNormShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = BATCH_NORM1D_TORCH;

  /** The layer for a spec entry; numFeatures comes from the inferred input shape. */
  static fromSpec(layer: BatchNormLayerSpec, context: LayerContext): BatchNorm1d {
    return new BatchNorm1d(batchNormOptions(layer, context));
  }

  protected readonly ranks = [2, 3];
  protected readonly form = "[batch, C] or [batch, C, length]";
  constructor(options: BatchNormLayerOptions) {
    super("BatchNorm1d", options);
  }
}

/**
 * Batch normalization of [batch, C, height, width] (PyTorch's nn.BatchNorm2d), over the batch
 * and the plane for each of the C channels.
 * @example new BatchNorm2d({ numFeatures: 16 }).forward(h) // [64, 16, 28, 28] → same shape
 */
export class BatchNorm2d extends BatchNorm {
  /** The spec `type` of this layer. */
  static readonly specType = "batchNorm2d";
  /** The schema of its spec entries. */
  static readonly specSchema = batchNorm2dLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = batchNormShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = BATCH_NORM2D_TORCH;

  /** The layer for a spec entry; numFeatures comes from the inferred input shape. */
  static fromSpec(layer: BatchNormLayerSpec, context: LayerContext): BatchNorm2d {
    return new BatchNorm2d(batchNormOptions(layer, context));
  }

  protected readonly ranks = [4];
  protected readonly form = "[batch, C, height, width]";
  constructor(options: BatchNormLayerOptions) {
    super("BatchNorm2d", options);
  }
}

function batchNormOptions(layer: BatchNormLayerSpec, context: LayerContext): BatchNormLayerOptions {
  const { type: _, numFeatures: __, ...options } = layer;
  return { ...options, numFeatures: context.input[0], dtype: context.dtype };
}

registerLayers(BatchNorm1d, BatchNorm2d);
