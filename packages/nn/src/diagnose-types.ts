// Findings and options of diagnose() and the training monitor.
import type { Reduction } from "./loss.js";
import type { LossName } from "./objective.js";

/** How serious a finding is: "error" stops learning, "warning" slows or risks it. */
export type Severity = "error" | "warning" | "info";

/** What was detected; one code per detector outcome. */
export type FindingCode =
  | "loss-at-baseline" | "constant-output" | "plateau"
  | "zero-weights" | "symmetric-units" | "weight-grad-zero"
  | "dead-units" | "saturated-units"
  | "vanishing-gradient" | "exploding-gradient" | "update-ratio"
  | "unnormalised-input" | "constant-features"
  | "non-finite";

/**
 * One problem found in a model: where it is (`layer`, a parameter prefix such as
 * "layers.2", or "input"/"loss"), the measured number, and in plain words what it means,
 * its likely cause and the fix.
 */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly layer?: string;
  readonly value: number;
  readonly message: string;
  readonly cause: string;
  readonly fix: string;
}

/** Thresholds and context of diagnose(); every field has a default. */
export interface DiagnoseOptions {
  /** The loss the model trains with (default: the objective's, see resolveObjective). */
  readonly loss?: LossName;
  /** Its reduction (default "batchMean", the seed's: summed over outputs, batch mean). */
  readonly reduction?: Reduction;
  /** The training learning rate, to check the update/weight ratio lr·‖g‖/‖w‖. */
  readonly learningRate?: number;
  /** The loss counts as at the baseline within this relative distance (default 5e-3). */
  readonly baselineTolerance?: number;
  /** Report dead ReLU units from this fraction of a layer (default 0.1). */
  readonly deadFraction?: number;
  /** Report saturated sigmoid/tanh layers from this fraction of outputs (default 0.5). */
  readonly saturatedFraction?: number;
  /** Distance to a bound that counts as saturated (default 1e-3). */
  readonly saturationEps?: number;
  /** Weight-gradient norms below this are vanishing (default 1e-8). */
  readonly minGradNorm?: number;
  /** Weight-gradient norms above this are exploding (default 1e3). */
  readonly maxGradNorm?: number;
  /** A layer whose gradient norm is below this fraction of the largest one (default 1e-4). */
  readonly gradNormSpread?: number;
  /**
   * Acceptable range of lr·‖g‖/‖w‖ (default [1e-6, 0.3]). About 1e-3 is typical once
   * training runs; the first steps from a fresh init are larger, so the upper bound is generous.
   */
  readonly updateRatioRange?: readonly [number, number];
  /** Inputs whose magnitude exceeds this look unnormalised (default 10). */
  readonly maxInputMagnitude?: number;
}

/** DiagnoseOptions with every default filled in. */
type Thresholds = Omit<DiagnoseOptions, "learningRate" | "loss" | "reduction">;
export type ResolvedOptions = Required<Thresholds> & {
  readonly learningRate?: number;
  readonly loss: LossName;
  readonly reduction: Reduction;
};

export const DEFAULTS = {
  baselineTolerance: 5e-3,
  deadFraction: 0.1,
  saturatedFraction: 0.5,
  saturationEps: 1e-3,
  minGradNorm: 1e-8,
  maxGradNorm: 1e3,
  gradNormSpread: 1e-4,
  updateRatioRange: [1e-6, 0.3] as const,
  maxInputMagnitude: 10,
};

/** A number in a message: 4 significant digits, exponent form when tiny or huge. */
export function fmt(value: number): string {
  if (!Number.isFinite(value) || value === 0) return String(value);
  const a = Math.abs(value);
  return a < 1e-3 || a >= 1e6 ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}

/** Percentage with one decimal. */
export function pct(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}
