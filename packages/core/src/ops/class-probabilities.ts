// Class-target distributions from class indices held in a tensor, read by the kernel when it
// runs (so a compiled step uses each call's labels). Its own module, apart from embedding.ts,
// so that a loss that may take class indices (crossEntropy) carries only this lookup.
import { type DType, allocate, checkDType } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import { installClassKernels } from "../kernels/cnn-install.js";
import { checkOptions } from "../options.js";
import { normalizeAxis, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";
import { checkIndexRange, checkTensor } from "./convert.js";

// The kernel this op runs on joins the backends only where it is used.
installClassKernels();

/** Options of `classProbabilities`. */
export interface ClassProbabilitiesOptions {
  /** Where the class axis goes in the result (default 1; negative counts from the end). */
  readonly axis?: number;
  /** ε in [0, 1]: the label's class gets 1 − ε + ε/C, every other ε/C (default 0). */
  readonly labelSmoothing?: number;
  /** Default: the labels' dtype. */
  readonly dtype?: DType;
}

/**
 * Target distributions from class indices: labels [n, ...] (integer values) → the same shape
 * with a class axis of `numClasses` inserted at `axis`: one-hot, or label-smoothed. The kernel
 * reads the labels when it runs, so a compiled step uses each call's labels; a label that is
 * not an integer in [0, numClasses) is an error then. No gradient.
 * @example classProbabilities(labels, 10) // [64] → [64, 10]
 */
export function classProbabilities(
  labels: Tensor, numClasses: number, options: ClassProbabilitiesOptions = {},
): Tensor {
  checkTensor("classProbabilities", "labels", labels);
  checkOptions("classProbabilities", options, ["axis", "labelSmoothing", "dtype"]);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(
      `classProbabilities: numClasses must be a positive integer; got ${String(numClasses)}`);
  }
  checkIndexRange("classProbabilities", labels, numClasses, "classes");
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(
      `classProbabilities: labelSmoothing must be in [0, 1]; got ${String(smoothing)}`);
  }
  const dtype = checkDType("classProbabilities", options.dtype ?? labels.dtype);
  const axis = normalizeAxis("classProbabilities", options.axis ?? 1, labels.rank + 1);
  const shape = [...labels.shape];
  shape.splice(axis, 0, numClasses);
  const outer = sizeOf(labels.shape.slice(0, axis));
  const inner = sizeOf(labels.shape.slice(axis));
  const out = allocate(dtype, outer * numClasses * inner);
  getBackend().classProbabilities({
    labels: labels.data, out, outer, classes: numClasses, inner, smoothing,
  });
  return new Tensor(out, shape);
}
