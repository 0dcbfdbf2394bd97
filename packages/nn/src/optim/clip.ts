// Gradient clipping, as PyTorch's clip_grad_norm_ / clip_grad_value_, on each parameter's .grad.
import { Tensor, checkOptions, peekGrad } from "@tapegrad/core";

/** Options of {@link clipGradNorm}. */
export interface ClipNormOptions {
  /** Throw when the total norm is NaN or ±Inf instead of scaling by it (default false). */
  readonly errorIfNonfinite?: boolean;
}

/**
 * Sets `p.grad` to a new tensor of `map` applied to each value. NOTE: never in place: a
 * gradient may share memory with another parameter's (the tape hands one tensor to both
 * inputs of an add) or with a buffer a compiled step reuses.
 */
function replaceGradient(p: Tensor, map: (v: number) => number): void {
  const g = peekGrad(p) as Tensor;
  p.grad = new Tensor(g.data.map(map), g.shape);
}

function checkPositive(where: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${where}: ${name} must be a positive number; got ${String(value)}`);
  }
  return value;
}

/**
 * Scales the gradients of `params` together so their global L2 norm (all gradients as one
 * vector) is at most `maxNorm`, and returns that norm before clipping. As in PyTorch the
 * scale is maxNorm / (norm + 1e-6), applied only when below 1; a NaN/Inf norm makes every
 * gradient NaN unless `errorIfNonfinite`. Each clipped `.grad` is a new tensor (the old one is
 * left as it was); parameters without a gradient are skipped.
 * @example const norm = clipGradNorm(model.parameters(), 1.0); // then optimizer.step()
 */
export function clipGradNorm(
  params: readonly Tensor[], maxNorm: number, options: ClipNormOptions = {},
): number {
  checkPositive("clipGradNorm", "maxNorm", maxNorm);
  const { errorIfNonfinite = false } = checkOptions("clipGradNorm", options,
    ["errorIfNonfinite"]);
  // Peeked (see peekGrad): the next backward pass may still reuse their storage.
  const withGrad = params.filter((p) => peekGrad(p) !== null);
  let squares = 0;
  for (const p of withGrad) {
    const g = peekGrad(p) as Tensor;
    for (let i = 0; i < g.size; i++) squares += g.data[i] ** 2;
  }
  const norm = Math.sqrt(squares);
  if (!Number.isFinite(norm) && errorIfNonfinite) {
    throw new RangeError(`clipGradNorm: the total gradient norm is ${norm}; the gradients ` +
      "hold NaN or Inf (pass errorIfNonfinite: false to scale them anyway)");
  }
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1 || Number.isNaN(scale)) {
    for (const p of withGrad) replaceGradient(p, (v) => v * scale);
  }
  return norm;
}

/**
 * Clamps every gradient value of `params` into [−clipValue, clipValue] (NaN stays NaN).
 * @example clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: readonly Tensor[], clipValue: number): void {
  checkPositive("clipGradValue", "clipValue", clipValue);
  for (const p of params) {
    const g = peekGrad(p);
    if (g === null || !g.data.some((v) => v > clipValue || v < -clipValue)) continue;
    replaceGradient(p, (v) => (v > clipValue ? clipValue : v < -clipValue ? -clipValue : v));
  }
}

/** Clipping as an optimizer option: applied to the gradients at every `step()`. */
export interface ClipOptions {
  /** Scale all gradients together to this global L2 norm at most (see clipGradNorm). */
  readonly clipGradNorm?: number;
  /** Clamp each gradient value into [−clipGradValue, clipGradValue] (see clipGradValue). */
  readonly clipGradValue?: number;
}

/** Checks clipping options, naming the optimizer; returns them. */
export function checkClipOptions(where: string, options: ClipOptions): ClipOptions {
  if (options.clipGradNorm !== undefined) {
    checkPositive(where, "clipGradNorm", options.clipGradNorm);
  }
  if (options.clipGradValue !== undefined) {
    checkPositive(where, "clipGradValue", options.clipGradValue);
  }
  return { clipGradNorm: options.clipGradNorm, clipGradValue: options.clipGradValue };
}

/** Applies `clip` to the gradients of `params`: the norm first, then the values (as Keras). */
export function applyClipping(params: readonly Tensor[], clip: ClipOptions): void {
  if (clip.clipGradNorm !== undefined) clipGradNorm(params, clip.clipGradNorm);
  if (clip.clipGradValue !== undefined) clipGradValue(params, clip.clipGradValue);
}
