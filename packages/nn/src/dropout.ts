// Dropout: zeroes random elements while training (scaling the rest), identity in evaluation.
import { Rng, type Tensor, checkOptions, defaultRng, dropout } from "@tapegrad/core";
import { integerOption } from "./layer-options.js";
import { Module, checkInput } from "./module.js";
import { type LayerContext, registerLayers } from "./layer-registry.js";
import { dropoutLayerSchema, type DropoutLayerSpec } from "./spec-schema.js";
import { sameShape } from "./spec-shapes.js";
import { DROPOUT_TORCH } from "./torch-layers.js";

/** Options of {@link Dropout}: PyTorch's `p`, and where the masks come from. */
export interface DropoutLayerOptions {
  /** Probability of zeroing each element (default 0.5), in [0, 1]. */
  readonly p?: number;
  /**
   * The generator masks are drawn from (two draws per batch), or a seed for a fresh one;
   * default: the process-wide `defaultRng()`, read at each call (as PyTorch's global generator).
   */
  readonly rng?: Rng;
  readonly seed?: number;
}

/**
 * Dropout (PyTorch's nn.Dropout): in training mode each element is zeroed with probability `p`
 * and the rest are scaled by 1/(1 − p); in evaluation mode (`model.eval()`) the input passes
 * through unchanged. Any shape. In a compiled step every replay draws a new mask from the
 * generator (a compiled step holds the generator it was traced with).
 * @example new Sequential([new Flatten(), new Dropout({ p: 0.25, seed: 1 }), dense])
 */
export class Dropout extends Module {
  /** The spec `type` of this layer. */
  static readonly specType = "dropout";
  /** The schema of its spec entries. */
  static readonly specSchema = dropoutLayerSchema;
  /** Its output shape and parameters for a spec entry and an input shape. */
  static readonly specShape = sameShape;
  /** Its PyTorch modules, for weight files and ONNX export. */
  static readonly torch = DROPOUT_TORCH;

  /** The layer for a spec entry, drawing from the model's dropout generator. */
  static fromSpec(layer: DropoutLayerSpec, context: LayerContext): Dropout {
    return new Dropout({ p: layer.p, rng: context.dropoutRng });
  }

  readonly p: number;
  readonly #rng: Rng | null;

  constructor(options: DropoutLayerOptions = {}) {
    super();
    const o = checkOptions("Dropout", options, ["p", "rng", "seed"]);
    const p = o.p ?? 0.5;
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new RangeError(`Dropout: p must be a number in [0, 1]; got ${String(p)}`);
    }
    this.p = p;
    if (o.rng !== undefined && o.seed !== undefined) {
      throw new TypeError("Dropout: pass rng or seed, not both");
    }
    if (o.rng !== undefined && !(o.rng instanceof Rng)) {
      throw new TypeError("Dropout: rng must be an Rng");
    }
    this.#rng = o.rng ?? (o.seed === undefined ? null
      : new Rng(integerOption("Dropout", "seed", o.seed, -Infinity)));
  }

  /** The generator the next mask is drawn from. */
  get rng(): Rng {
    return this.#rng ?? defaultRng();
  }

  forward(x: Tensor): Tensor {
    checkInput("Dropout", x);
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { rng: this.rng, training: true });
  }
}

registerLayers(Dropout);
