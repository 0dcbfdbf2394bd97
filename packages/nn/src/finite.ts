// Non-finite values in training: a fast per-step test of the gradients, and the finding that
// names the first NaN/Inf (loss, gradient or parameter), the step, and the data if it is the cause.
import {
  type FloatArray, type Tensor, getBackend, peekGrad, residentStorage,
} from "@tapegrad/core";
import type { Finding } from "./diagnose-types.js";

// Column sums read a whole array in one SIMD pass and keep NaN/Inf (NaN + x = NaN, Inf + x =
// Inf or NaN), so a handful of sums stands for the array. A sum of finite values can only
// overflow when they are near 1e38; then the exact scan below decides.
const MAX_COLUMNS = 256;

/**
 * Whether every value of `data` is finite. Float32 arrays are summed by columns with the
 * backend's reduction (WebAssembly SIMD) and only the sums are scanned; a non-finite sum is
 * confirmed element by element.
 */
export function isAllFinite(data: FloatArray, scratch: Float32Array): boolean {
  const n = data.length;
  if (!(data instanceof Float32Array) || n < 2 * MAX_COLUMNS) return countNonFinite(data) === 0;
  let cols = MAX_COLUMNS;
  while (cols > 1 && n % cols !== 0) cols--;
  if (cols < 16) return countNonFinite(data) === 0;
  const sums = scratch.subarray(0, cols);
  getBackend().reduce({
    op: "sum", x: data, shape: [n / cols, cols], out: sums, outStrides: [0, 1],
  });
  let probe = 0;
  for (let i = 0; i < cols; i++) probe += sums[i] * 0; // 0 unless a sum is NaN or ±Inf
  return probe === 0 || countNonFinite(data) === 0;
}

/** Number of NaN/±Inf values. */
export function countNonFinite(data: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) count++;
  return count;
}

/** Checks a model's gradients and parameters for NaN/Inf with reusable scratch memory. */
export class FiniteCheck {
  readonly #scratch = residentStorage("float32", MAX_COLUMNS) as Float32Array;

  constructor(readonly named: ReadonlyArray<readonly [string, Tensor]>) {}

  /** True when every gradient that is set is finite. */
  gradientsFinite(): boolean {
    for (const [, p] of this.named) {
      const grad = peekGrad(p); // used at once, not kept: see peekGrad
      if (grad !== null && !isAllFinite(grad.data, this.#scratch)) return false;
    }
    return true;
  }

  /** True when every parameter is finite. */
  parametersFinite(): boolean {
    return this.named.every(([, p]) => isAllFinite(p.data, this.#scratch));
  }
}

/** Where in training a value was seen: 1-based global step, epoch and batch within it. */
export interface TrainingPosition {
  readonly step: number;
  readonly epoch?: number;
  readonly batch?: number;
}

/** What was non-finite, and what the batch held, for {@link nonFiniteFinding}. */
export interface NonFiniteEvidence {
  /**
   * "step": a step's loss and gradients, before its update; "update": the same, then the
   * parameters after the update; "epoch": the parameters after an epoch's updates; "start":
   * the parameters before training.
   */
  readonly phase: "step" | "update" | "epoch" | "start";
  readonly position: TrainingPosition;
  /** The step's loss ("step" only). */
  readonly loss?: number;
  readonly parameters: ReadonlyArray<readonly [string, Tensor]>;
  /** The minibatch's inputs and targets, and which samples (rows of the data) they are. */
  readonly input?: Tensor;
  readonly target?: Tensor;
  readonly rows?: ArrayLike<number>;
}

const at = (p: TrainingPosition): string =>
  `at step ${p.step}` + (p.epoch === undefined ? "" : ` (epoch ${p.epoch}` +
    (p.batch === undefined ? ")" : `, batch ${p.batch})`));

/** The NaN/Inf values of a [batch, ...] tensor: count, and the first sample and feature. */
function locate(t: Tensor | undefined, rows: ArrayLike<number> | undefined) {
  if (t === undefined) return null;
  const count = countNonFinite(t.data);
  if (count === 0) return null;
  const width = t.size / Math.max(1, t.shape[0] ?? 1);
  let first = 0;
  while (Number.isFinite(t.data[first])) first++;
  const row = Math.floor(first / width);
  const sample = rows === undefined ? row : rows[row];
  return { count, sample, feature: first - row * width };
}

/** "(and the gradients of 2 more parameters: a, b)" when there are more than one. */
function others(list: ReadonlyArray<readonly [string, number]>, what: string): string {
  return list.length < 2 ? "" : ` (and the ${what} of ${list.length - 1} more parameter` +
    `${list.length === 2 ? "" : "s"}: ${list.slice(1).map(([n]) => n).join(", ")})`;
}

/**
 * The finding for the first non-finite value of a run: at a step, the loss if it is NaN/Inf,
 * else the gradients holding NaN/Inf; after an epoch or before training, the parameters —
 * naming the parameter, the step and how many values. When the batch's inputs or targets
 * hold NaN/Inf, they are named as the cause (sample and feature). Null when all is finite.
 */
export function nonFiniteFinding(evidence: NonFiniteEvidence): Finding | null {
  const { position, parameters, phase } = evidence;
  const loss = evidence.loss ?? 0;
  const bad = (of: (p: Tensor) => ArrayLike<number> | null) => parameters
    .map(([name, p]) => [name, countNonFinite(of(p) ?? [])] as const).filter(([, n]) => n > 0);
  const gradients = phase === "step" || phase === "update" ? bad((p) => peekGrad(p)?.data ?? null)
    : [];
  const values = phase === "step" ? [] : bad((p) => p.data);
  let what: string;
  let layer: string;
  let value: number;
  if (!Number.isFinite(loss)) {
    [what, layer, value] = [`the loss became ${loss} ${at(position)}`, "loss", loss];
  } else if (gradients.length > 0) {
    const [name, count] = gradients[0];
    what = `the gradient of ${name} holds ${count} NaN/Inf value${count === 1 ? "" : "s"}` +
      `${others(gradients, "gradients")} ${at(position)}`;
    [layer, value] = [prefix(name), count];
  } else if (values.length > 0) {
    const [name, count] = values[0];
    const when = phase === "start" ? "before training"
      : phase === "update" ? `after the update ${at(position)}`
      : `after the updates of epoch ${position.epoch} (by step ${position.step})`;
    what = `parameter ${name} holds ${count} NaN/Inf value${count === 1 ? "" : "s"}` +
      `${others(values, "values")} ${when}`;
    [layer, value] = [prefix(name), count];
  } else {
    return null;
  }
  const message = `${what}, the first non-finite value of this run`;
  const found = { code: "non-finite", severity: "error", layer, value } as const;
  if (phase === "start") {
    return {
      ...found, message,
      cause: "the model was built or loaded with NaN/Inf weights (a corrupt weights file, or " +
        "a checkpoint of a run that diverged)",
      fix: "load finite weights (an earlier checkpoint) or re-initialise the model",
    };
  }
  const input = locate(evidence.input, evidence.rows);
  const target = locate(evidence.target, evidence.rows);
  const data = input ?? target;
  if (data !== null) {
    const which = input !== null ? "input" : "target";
    return {
      ...found,
      message: `${message}; the minibatch's ${which} holds ${data.count} NaN/Inf value` +
        `${data.count === 1 ? "" : "s"}, the first in sample ${data.sample}, feature ` +
        `${data.feature}`,
      cause: `the data: sample ${data.sample}'s ${which} is not a number, and what is ` +
        `computed from it (${layer === "loss" ? "the loss" : "the gradients"}) turns NaN too`,
      fix: `remove or repair sample ${data.sample} (and check the preprocessing for a ` +
        "division by zero or a missing value); diagnose() on that batch names it as well",
    };
  }
  return {
    ...found, message,
    cause: "the training diverged (a learning rate too high, exploding gradients) or a log/div " +
      "saw 0",
    fix: "lower the learning rate, clip gradients (clipGradNorm), compute the loss from logits, " +
      "and run diagnose() on this batch: it names the first op that produced NaN/Inf",
  };
}

function prefix(name: string): string {
  return name.replace(/\.(weight|bias)$/, "");
}
