// Training settings: the CLI's flags or a recipe file's `training` section, checked, and the
// optimizer they name.
import { suggestName } from "@tapegrad/core";
import {
  Adam, AdamW, type Model, type ModelSpec, type Optimizer, SGD, type Schedule, constant,
  cosineDecay, parseSpec,
} from "@tapegrad/nn";
import { type InputLimits, specLimits } from "./input-limits.js";

export const OPTIMIZERS = ["sgd", "adam", "adamw"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const SCHEDULES = ["constant", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** Training hyperparameters: the CLI flags, or a recipe file's `training` section. */
export interface TrainingSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** "cosine" decays the rate to 0 over all `epochs` (so changing `epochs` changes it). */
  readonly schedule: ScheduleName;
  /** SGD momentum (default 0.9). */
  readonly momentum?: number;
  /** L2 (sgd, adam) or decoupled (adamw) weight decay; the optimizer's default when absent. */
  readonly weightDecay?: number;
  /** Seeds the model's initial weights (spec.seed) and, as seed + 1, the shuffling. */
  readonly seed: number;
}

/** The default run: the seed network trained with Adam and a cosine schedule. */
export const DEFAULT_SETTINGS: TrainingSettings = {
  epochs: 8, batchSize: 64, optimizer: "adam", learningRate: 1e-3, schedule: "cosine", seed: 42,
};

/** A model file: a plain spec, or a recipe `{ "model": spec, "training": { ...settings } }`. */
export interface ModelFile {
  readonly spec: ModelSpec;
  readonly training: Partial<TrainingSettings>;
}

const SETTING_KEYS = [
  "epochs", "batchSize", "optimizer", "learningRate", "schedule", "momentum", "weightDecay", "seed",
] as const;

/**
 * Reads a `--model` file's JSON: a model spec, or a recipe with `model` and `training`.
 * Throws with the path of the bad field (`training.optimizer must be one of sgd, adam, adamw`).
 * `limits` raise the spec's size limits.
 */
export function parseModelFile(
  json: unknown, source = "model file", limits: InputLimits = {},
): ModelFile {
  const { maxBytes: _, ...bounds } = specLimits(limits);
  const options = { source, ...bounds };
  const isRecipe = typeof json === "object" && json !== null && "model" in json;
  if (!isRecipe) return { spec: parseSpec(json, options), training: {} };
  const { model, training = {}, ...rest } = json as Record<string, unknown>;
  const extra = Object.keys(rest).filter((k) => k !== "$schema" && k !== "description");
  if (extra.length > 0) {
    throw new Error(
      `${source}: unknown key "${extra[0]}"; a recipe has model, training, description`,
    );
  }
  if (typeof training !== "object" || training === null || Array.isArray(training)) {
    throw new Error(`${source}: training must be an object`);
  }
  for (const key of Object.keys(training)) {
    if (!(SETTING_KEYS as readonly string[]).includes(key)) {
      const valid = SETTING_KEYS.join(", ");
      const near = suggestName(key, SETTING_KEYS);
      const hint = near === undefined ? "" : ` (did you mean "${near}"?)`;
      throw new Error(`${source}: training has unknown key "${key}"${hint}; valid keys: ${valid}`);
    }
  }
  const settings = training as Partial<TrainingSettings>;
  validateSettings(settings, `${source}: training.`);
  return { spec: parseSpec(model, options), training: settings };
}

/** Checks every present setting; `where` prefixes messages (e.g. "--" for flags). */
export function validateSettings(s: Partial<TrainingSettings>, where = ""): void {
  const bad = (key: string, want: string, got: unknown): never => {
    throw new RangeError(`${where}${key} must be ${want}; got ${JSON.stringify(got)}`);
  };
  const positiveInt = (k: "epochs" | "batchSize") => {
    const v = s[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) bad(k, "a positive integer", v);
  };
  positiveInt("epochs");
  positiveInt("batchSize");
  if (s.learningRate !== undefined && !(Number.isFinite(s.learningRate) && s.learningRate > 0)) {
    bad("learningRate", "a positive number", s.learningRate);
  }
  if (s.optimizer !== undefined && !OPTIMIZERS.includes(s.optimizer)) {
    bad("optimizer", `one of ${OPTIMIZERS.join(", ")}`, s.optimizer);
  }
  if (s.schedule !== undefined && !SCHEDULES.includes(s.schedule)) {
    bad("schedule", `one of ${SCHEDULES.join(", ")}`, s.schedule);
  }
  if (s.momentum !== undefined && !(s.momentum >= 0 && s.momentum < 1)) {
    bad("momentum", "in [0, 1)", s.momentum);
  }
  if (s.weightDecay !== undefined && !(s.weightDecay >= 0)) {
    bad("weightDecay", "≥ 0", s.weightDecay);
  }
  if (s.seed !== undefined && !Number.isSafeInteger(s.seed)) bad("seed", "an integer", s.seed);
}

/**
 * Builds the optimizer `config` names over `model`'s parameters; `stepsPerEpoch` sizes a
 * schedule.
 */
export function buildOptimizer(
  model: Model, config: TrainingSettings, stepsPerEpoch: number,
): Optimizer {
  const rate: Schedule = config.schedule === "cosine"
    ? cosineDecay({
      initial: config.learningRate, totalSteps: Math.max(1, config.epochs * stepsPerEpoch),
    })
    : constant(config.learningRate);
  const decay = config.weightDecay === undefined ? {} : { weightDecay: config.weightDecay };
  const params = model.parameters();
  switch (config.optimizer) {
    case "sgd":
      return new SGD(params, { learningRate: rate, momentum: config.momentum ?? 0.9, ...decay });
    case "adam": return new Adam(params, { learningRate: rate, ...decay });
    case "adamw": return new AdamW(params, { learningRate: rate, ...decay });
  }
}
