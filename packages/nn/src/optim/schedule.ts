// Learning-rate schedules: plain functions from the (0-based) step number to a learning rate.
import { checkOptions } from "@tapegrad/core";
import type { Schedule } from "./optimizer.js";

function checkPositive(op: string, key: string, value: number): void {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${op}: ${key} must be a positive number; got ${value}`);
  }
}

function checkPositiveInteger(op: string, key: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`${op}: ${key} must be a positive integer; got ${value}`);
  }
}

function checkStep(op: string, step: number): void {
  if (!(Number.isInteger(step) && step >= 0)) {
    throw new RangeError(`${op}: step must be a non-negative integer; got ${step}`);
  }
}

/**
 * The same learning rate at every step.
 * @example new SGD(params, { learningRate: constant(0.1) })
 */
export function constant(value: number): Schedule {
  checkPositive("constant", "value", value);
  return (step) => {
    checkStep("constant", step);
    return value;
  };
}

/** Options of `stepDecay`. */
export interface StepDecayOptions {
  /** The learning rate of steps 0 … stepSize − 1. */
  readonly initial: number;
  /** Number of steps between decays (a positive integer). */
  readonly stepSize: number;
  /** Factor applied at each decay, in (0, 1]. */
  readonly gamma: number;
}

/**
 * initial · gamma^⌊step / stepSize⌋: the rate drops by `gamma` every `stepSize` steps
 * (PyTorch's StepLR).
 * @example stepDecay({ initial: 0.1, stepSize: 1000, gamma: 0.5 }) // 0.1, then 0.05 at 1000
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  const { initial, stepSize, gamma } =
    checkOptions("stepDecay", options, ["initial", "stepSize", "gamma"]);
  checkPositive("stepDecay", "initial", initial);
  checkPositiveInteger("stepDecay", "stepSize", stepSize);
  if (!(typeof gamma === "number" && gamma > 0 && gamma <= 1)) {
    throw new RangeError(`stepDecay: gamma must be in (0, 1]; got ${gamma}`);
  }
  return (step) => {
    checkStep("stepDecay", step);
    return initial * gamma ** Math.floor(step / stepSize);
  };
}

/** Options of `cosineDecay`. */
export interface CosineDecayOptions {
  /** The peak learning rate, reached at the end of the warmup (or at step 0 without one). */
  readonly initial: number;
  /** Step at which the rate reaches `minimum` and stays there (counts the warmup). */
  readonly totalSteps: number;
  /** Final learning rate, in [0, initial] (default 0). */
  readonly minimum?: number;
  /** Steps of linear warmup before the decay, in [0, totalSteps) (default 0). */
  readonly warmupSteps?: number;
}

/**
 * Linear warmup, then half a cosine from `initial` down to `minimum`:
 * - step s < w (warmup): initial · (s + 1) / w, so the first step is not wasted at rate 0
 *   and step w − 1 uses `initial`;
 * - w ≤ s ≤ T: minimum + (initial − minimum) · (1 + cos(π·(s − w)/(T − w))) / 2;
 * - s > T: minimum.
 * @example cosineDecay({ initial: 1e-3, totalSteps: 10_000, warmupSteps: 500 })
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const { initial, totalSteps, minimum = 0, warmupSteps = 0 } = checkOptions(
    "cosineDecay", options, ["initial", "totalSteps", "minimum", "warmupSteps"],
  );
  checkPositive("cosineDecay", "initial", initial);
  checkPositiveInteger("cosineDecay", "totalSteps", totalSteps);
  if (!(typeof minimum === "number" && minimum >= 0 && minimum <= initial)) {
    throw new RangeError(`cosineDecay: minimum must be in [0, initial ${initial}]; got ${minimum}`);
  }
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new RangeError(
      `cosineDecay: warmupSteps must be an integer in [0, totalSteps ${totalSteps}); ` +
        `got ${warmupSteps}`,
    );
  }
  return (step) => {
    checkStep("cosineDecay", step);
    if (step < warmupSteps) return (initial * (step + 1)) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
    return minimum + ((initial - minimum) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
