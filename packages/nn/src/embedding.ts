// Embedding: a lookup table of learned vectors indexed by integer ids, as PyTorch's nn.Embedding.
import {
  type DType, type Rng, type Tensor, checkOptions, embedding,
} from "@tapegrad/core";
import { type InitName, type InitOptions, initialize } from "./init.js";
import { initRng, integerOption } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { embeddingLayerSchema, type EmbeddingLayerSpec } from "./spec-schema.js";
import { embeddingShape } from "./spec-shapes.js";
import { EMBEDDING_TORCH } from "./torch-layers.js";

/** Options of {@link Embedding}: PyTorch's nn.Embedding arguments, in camelCase. */
export interface EmbeddingLayerOptions {
  /** Rows of the table: ids run from 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** Length of each vector. */
  readonly embeddingDim: number;
  /** Table initialiser (default "normal" with std 1: N(0, 1), as PyTorch) and its options. */
  readonly init?: InitName;
  readonly initOptions?: InitOptions;
  readonly rng?: Rng;
  readonly seed?: number;
  readonly dtype?: DType;
}

/**
 * A table of `numEmbeddings` vectors of length `embeddingDim` (PyTorch's nn.Embedding): input
 * ids of any shape (a tensor of integer values) → [...ids.shape, embeddingDim]. The table is
 * the parameter `weight` [numEmbeddings, embeddingDim]; repeated ids accumulate its gradient.
 * An id that is not an integer in [0, numEmbeddings) is an error naming it.
 * @example
 * new Embedding({ numEmbeddings: 1000, embeddingDim: 64 }).forward(ids) // [32, 12] → [32, 12, 64]
 */
export class Embedding extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "embedding";
  /** The schema of its spec entries. */
  static readonly specSchema = embeddingLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = embeddingShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = EMBEDDING_TORCH;

  /** The layer for a spec entry. */
  static fromSpec(layer: EmbeddingLayerSpec, context: LayerContext): Embedding {
    const { type: _, ...options } = layer;
    return new Embedding({ ...options, rng: context.rng, dtype: context.dtype });
  }

  readonly weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(options: EmbeddingLayerOptions) {
    super();
    const where = "Embedding";
    const o = checkOptions(where, options,
      ["numEmbeddings", "embeddingDim", "init", "initOptions", "rng", "seed", "dtype"]);
    this.numEmbeddings = integerOption(where, "numEmbeddings", o.numEmbeddings);
    this.embeddingDim = integerOption(where, "embeddingDim", o.embeddingDim);
    const shape = [this.numEmbeddings, this.embeddingDim];
    const init = o.init ?? "normal";
    const initOptions = o.initOptions ?? (init === "normal" ? { std: 1 } : undefined);
    this.weight = this.registerParameter("weight", initialize(init, {
      shape, fanIn: this.numEmbeddings, fanOut: this.embeddingDim, rng: initRng(where, o),
      dtype: o.dtype,
    }, initOptions));
  }

  forward(x: Tensor): Tensor {
    return embedding(checkInput("Embedding", x), this.weight);
  }
}

registerLayers(Embedding);
