// Dropout: zero each element with probability p and scale the rest by 1/(1 − p), with a mask
// drawn by a kernel from a seeded generator (a compiled step draws a new one on every replay)
// or given by the caller.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { installDropoutKernels } from "../kernels/cnn-install.js";
import { checkOptions } from "../options.js";
import { Rng, rngStateWords } from "../random.js";
import { ShapeError, formatShape, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { mul } from "./arithmetic.js";
import { checkTensor } from "./convert.js";

// The kernels these ops run on join the backends only where the ops are used.
installDropoutKernels();

/** Options of `dropout`. */
export interface DropoutOptions {
  /** Drop (true, the default) or pass x through unchanged (false: evaluation). */
  readonly training?: boolean;
  /** The generator the mask is drawn from (two draws per call). */
  readonly rng?: Rng;
  /** A keep-mask of x's shape (1 keep, 0 drop) instead of drawing one. */
  readonly mask?: Tensor;
}

/**
 * y = x · mask / (1 − p), the mask keeping each element with probability 1 − p (as PyTorch's
 * dropout); x itself when not training or p = 0, zeros when p = 1. The gradient is dy · the
 * same scaled mask.
 * @example dropout(h, 0.5, { rng, training: model.training })
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  checkTensor("dropout", "x", x);
  checkOptions("dropout", options, ["training", "rng", "mask"]);
  const { training = true, rng, mask } = options;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`dropout: p must be in [0, 1]; got ${String(p)}`);
  }
  if (typeof training !== "boolean") {
    throw new TypeError(`dropout: training must be a boolean; got ${String(training)}`);
  }
  if (rng !== undefined && mask !== undefined) {
    throw new Error("dropout: give rng or mask, not both");
  }
  if (rng !== undefined && !(rng instanceof Rng)) {
    throw new TypeError("dropout: rng must be an Rng (new Rng(seed))");
  }
  if (mask !== undefined) {
    checkTensor("dropout", "mask", mask);
    if (!shapesEqual(mask.shape, x.shape)) {
      throw new ShapeError(
        `dropout: mask is ${formatShape(mask.shape)} but x is ${formatShape(x.shape)}`);
    }
  }
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  if (mask !== undefined) return mul(x, mul(mask.detach(), 1 / (1 - p)));
  if (rng === undefined) {
    throw new Error("dropout: training needs rng (a seeded Rng) or mask to draw from");
  }
  const scaled = allocate(x.dtype, x.size);
  getBackend().dropoutMask({ state: rngStateWords(rng), out: scaled, p });
  return mul(x, new Tensor(scaled, x.shape));
}
