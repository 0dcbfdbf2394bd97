// A whole training run: settings, model and optimizer from a spec, checkpoints, resume, test.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Rng, checkOptions } from "@tapegrad/core";
import {
  type Callback, type EpochRecord, type Evaluation, type Finding, type History, type LossName,
  type Model, type ModelSpec, type StepInfo, TrainingMonitor, batchCount, checkpoint,
  datasetBaseline, evaluate, fit, fromSpec, monitorTraining, prepareData, resolveObjective,
  seedSpec,
} from "@tapegrad/nn";
import { writeFileAtomic } from "@tapegrad/nn/node";
import { probeBatch, zeroInitSpec } from "./doctor.js";
import {
  CHECKPOINT_FILES, CHECKPOINT_POINTER, type CheckpointState, cleanCheckpointFolder, loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.js";
import { type MnistData, loadMnist, splitData } from "./dataset.js";
import { checkShape } from "./splits.js";
import { prepareOutputFolder } from "./out-folder.js";
import { type InputLimits, specLimits } from "./input-limits.js";
import { type ResumePlan, resumePlan } from "./resume.js";
import {
  DEFAULT_SETTINGS, type TrainingSettings, buildOptimizer, validateSettings,
} from "./settings.js";
import { lossCurveSvg } from "./svg.js";

export {
  DEFAULT_SETTINGS, type ModelFile, OPTIMIZERS, type OptimizerName, SCHEDULES, type ScheduleName,
  type TrainingSettings, buildOptimizer, parseModelFile, validateSettings,
} from "./settings.js";

/** Settings of a run as stored in its checkpoint. */
export interface RunConfig extends TrainingSettings {
  /** The loss the model's output calls for (resolveObjective): bce or crossEntropy. */
  readonly loss: LossName;
  readonly limit?: number;
  readonly validation?: number;
  readonly dataDir?: string;
}

/** What {@link runTraining} needs; everything but the settings is optional. */
export interface RunOptions {
  /** Default: the seed network (`seedSpec()` from @tapegrad/nn). */
  readonly spec?: ModelSpec;
  readonly settings?: Partial<TrainingSettings>;
  readonly dataDir?: string;
  readonly limit?: number;
  readonly validation?: number;
  /** Checkpoint directory, written after every epoch, with loss-curve.svg beside it. */
  readonly out?: string;
  /**
   * Continue the checkpoint in `out` with its settings; only `settings.epochs` may change the
   * total (never below the epochs done). Resumed to its planned total, a run ends with the
   * same weights, bit for bit, as had it not been interrupted; extended, so does a run with a
   * constant schedule (a cosine one is re-planned: see `RunStart.resume`).
   */
  readonly resume?: boolean;
  /**
   * Start a fresh run in an `out` that already holds one, replacing its checkpoint (default
   * false: that is an error, so a finished run is never lost by repeating a command).
   */
  readonly overwrite?: boolean;
  /** Bounds on the spec, checkpoint and IDX files read (defaults: docs/limits.md). */
  readonly limits?: InputLimits;
  /** Data already loaded (tests); must match dataDir/limit/validation. */
  readonly data?: MnistData;
  readonly onStep?: (info: StepInfo) => void;
  readonly onEpoch?: (record: EpochRecord, history: History) => void | Promise<void>;
  /** More callbacks for fit (progress output, say), run after the checkpoint is written. */
  readonly callbacks?: readonly Callback[];
  /**
   * "zeros" sets every initial weight and bias to 0 — the seed question's mistake, for
   * demonstrations; the monitor then reports it. Fresh runs only.
   */
  readonly init?: "spec" | "zeros";
  /**
   * Called for each new finding of the training monitor (diagnosis of a run that does not
   * learn).
   */
  readonly onFinding?: (finding: Finding) => void;
  /** Called once the data is loaded and the model built, before the first step. */
  readonly onStart?: (info: RunStart) => void;
}

/** Passed to `onStart`. */
export interface RunStart {
  readonly config: RunConfig;
  readonly model: Model;
  readonly trainSize: number;
  readonly validationSize: number;
  readonly testSize: number;
  readonly stepsPerEpoch: number;
  /** Epochs already done (resuming). */
  readonly startEpoch: number;
  readonly baselineLoss: number;
  /** What the resume does, when resuming (a re-planned cosine schedule included). */
  readonly resume?: ResumePlan;
  /** Temp files and half-written epoch directories a killed run left in `out`, now removed. */
  readonly cleaned: readonly string[];
}

/** What a finished run reports. */
export interface RunResult {
  readonly config: RunConfig;
  readonly model: Model;
  readonly history: History;
  /** Epochs the checkpoint had when this run resumed it (0 for a fresh run). */
  readonly startEpoch: number;
  readonly test: Evaluation;
  /** Constant-predictor loss on the training labels (the dashed line of the SVG). */
  readonly baselineLoss: number;
  readonly checkpointDir?: string;
  readonly svgPath?: string;
  /** What the training monitor found (empty for a healthy run). */
  readonly findings: readonly Finding[];
}

/**
 * Throws, naming the state.json in `epochDir`, unless the saved run's settings and history
 * can be resumed.
 */
export function checkSavedRun(state: CheckpointState<RunConfig>, epochDir: string): void {
  const where = `loadCheckpoint: ${join(epochDir, CHECKPOINT_FILES.state)}`;
  const { config, history, epoch } = state;
  if (typeof config !== "object" || config === null) {
    throw new Error(`${where}: config must be an object`);
  }
  const absent = (Object.keys(DEFAULT_SETTINGS) as Array<keyof TrainingSettings>)
    .find((key) => config[key] === undefined);
  if (absent !== undefined) throw new Error(`${where}: config.${absent} is missing`);
  validateSettings(config, `${where}: config.`);
  if (config.loss !== "bce" && config.loss !== "crossEntropy") {
    throw new Error(`${where}: config.loss must be bce or crossEntropy; got ${config.loss}`);
  }
  const numbers = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === "number");
  if (typeof history !== "object" || history === null || !numbers(history.stepLosses) ||
    !Array.isArray(history.epochs) || history.epochs.length !== epoch) {
    throw new Error(`${where}: history must hold stepLosses and one record per epoch (${epoch})`);
  }
}

const RUN_OPTION_KEYS = [
  "spec", "settings", "dataDir", "limit", "validation", "out", "resume", "overwrite", "limits",
  "data", "onStep", "onEpoch", "callbacks", "init", "onFinding", "onStart",
];

/** A fresh run must not silently replace the checkpoint of one already in `dir`. */
async function refuseExistingRun(dir: string): Promise<void> {
  const pointer = join(dir, CHECKPOINT_POINTER);
  const found = await stat(pointer).then(() => true, () => false);
  if (!found) return;
  throw new RunExistsError(
    `${dir} already holds a training run (${CHECKPOINT_POINTER}); resume it, choose another ` +
      "folder, or overwrite it to start again there",
  );
}

/** Thrown by {@link runTraining} when `out` holds a run and neither resume nor overwrite is set. */
export class RunExistsError extends Error {
  override name = "RunExistsError";
}

/** The file the loss curve is written to in the checkpoint directory. */
export const LOSS_CURVE_FILE = "loss-curve.svg";

/**
 * Loads MNIST, builds the model and optimizer, trains (from scratch or resuming `out`), writes
 * a checkpoint and the loss-curve SVG after each epoch, then evaluates on the test set.
 * @example const result = await runTraining({ settings: { epochs: 1 }, limit: 2000 });
 */
export async function runTraining(options: RunOptions = {}): Promise<RunResult> {
  checkOptions("runTraining", options, RUN_OPTION_KEYS);
  if (options.resume && !options.out) {
    throw new Error("runTraining: resume needs out (the checkpoint directory)");
  }
  if (options.resume && options.overwrite) {
    throw new Error("runTraining: resume and overwrite exclude each other");
  }
  const limits = specLimits(options.limits);
  let cleaned: string[] = [];
  if (options.out !== undefined) {
    // Before any work: an unusable folder is reported now, not after an epoch of training.
    await prepareOutputFolder(options.out, "runTraining: out");
    if (!options.resume && !options.overwrite) await refuseExistingRun(options.out);
    cleaned = await cleanCheckpointFolder(options.out);
  }
  const saved = options.resume
    ? await loadCheckpoint<RunConfig>(options.out as string, limits) : undefined;
  let config: RunConfig;
  let model: Model;
  let resume: ResumePlan | undefined;
  if (saved) {
    checkSavedRun(saved.state, saved.dir);
    resume = resumePlan(saved.state, options.settings?.epochs, "runTraining: settings.epochs");
    config = { ...saved.state.config, epochs: resume.epochs };
    model = saved.model;
  } else {
    const settings = { ...DEFAULT_SETTINGS, ...options.settings };
    validateSettings(settings);
    const seed = options.settings?.seed ?? options.spec?.seed ?? settings.seed;
    const base = { ...(options.spec ?? seedSpec()), seed };
    const spec = options.init === "zeros" ? zeroInitSpec(base) : base;
    const { maxBytes: _, ...bounds } = limits;
    model = fromSpec(spec, bounds);
    config = {
      ...settings, seed, loss: resolveObjective(model).loss, limit: options.limit,
      validation: options.validation, dataDir: options.dataDir,
    };
  }
  const data = options.data ?? (await loadMnist({
    dataDir: config.dataDir, limit: config.limit, validation: config.validation,
    ...(options.limits?.maxIdxBytes === undefined ? {} : { maxBytes: options.limits.maxIdxBytes }),
  }));
  // A model whose input is a shape ([1, 28, 28]) gets the images as that shape (a view).
  const shape = imageShape(model, data);
  const stepsPerEpoch = batchCount(data.train.indices.length, config.batchSize);
  const optimizer = buildOptimizer(model, config, stepsPerEpoch);
  const rng = new Rng(config.seed + 1);
  if (saved) {
    const where = join(saved.dir, CHECKPOINT_FILES.state);
    try {
      optimizer.loadStateDict(saved.optimizer);
      rng.setState(saved.state.rng);
    } catch (error) {
      throw new Error(`loadCheckpoint: ${where}: ${(error as Error).message}`, { cause: error });
    }
  }
  const train = splitData(data.train, shape);
  const baseline = datasetBaseline(prepareData(model, train, { loss: config.loss }));
  options.onStart?.({
    config, model, trainSize: data.train.indices.length,
    validationSize: data.validation.indices.length,
    testSize: data.test.indices.length, stepsPerEpoch, startEpoch: saved?.state.epoch ?? 0,
    baselineLoss: baseline, resume, cleaned,
  });
  // Diagnoses the fresh model at the first step, and again when the loss plateaus or turns NaN.
  const monitor = new TrainingMonitor({
    baseline,
    probe: {
      model,
      batch: probeBatch(data.train, 256, data.classes, config.loss, shape),
      options: { loss: config.loss, learningRate: config.learningRate },
    },
    diagnoseAt: [1],
    window: 20,
    plateauTolerance: 5e-3,
    onFinding: options.onFinding,
  });
  const out = options.out;
  const svgPath = out ? join(out, LOSS_CURVE_FILE) : undefined;
  let checkpointDir: string | undefined;
  const resumedAfter = saved ? [...(saved.state.resumedAfter ?? []), saved.state.epoch] : [];
  const writeCheckpoint = checkpoint({
    write: async (snapshot) => {
      if (!out) return;
      // The curve first: a kill before the checkpoint moves is redone (and the curve redrawn)
      // on resume; the other order could leave a finished run's curve an epoch short.
      const curve = { ...snapshot.history, resumedAfter };
      const svg = lossCurveSvg({ history: curve, baseline, loss: config.loss });
      await writeFileAtomic(svgPath as string, svg);
      checkpointDir = await saveCheckpoint(out, {
        model, optimizer, rng: snapshot.rng, history: snapshot.history, config, resumedAfter,
      });
    },
  });
  const history = await fit(model, train, {
    epochs: config.epochs, batchSize: config.batchSize, optimizer, rng, loss: config.loss,
    validationData: data.validation.indices.length > 0
      ? splitData(data.validation, shape) : undefined,
    history: saved?.state.history,
    // Minibatch losses are noisy; the monitor judges plateaus on the mean of the last 50 steps.
    callbacks: [monitorTraining(monitor, { average: 50 }), writeCheckpoint,
      ...(options.callbacks ?? [])],
    onStep: options.onStep,
    onEpochEnd: (record, run) => options.onEpoch?.(record, run.history),
  });
  const test = evaluate(model, splitData(data.test, shape), { loss: config.loss });
  return {
    config, model, history, startEpoch: saved?.state.epoch ?? 0, test, baselineLoss: baseline,
    checkpointDir, svgPath,
    findings: monitor.findings,
  };
}

/** The model's input shape, checked against the images (784 pixels: 784 or [1, 28, 28]). */
export function imageShape(model: Model, data: MnistData): readonly number[] {
  try {
    return checkShape(data.train, model.inputShape);
  } catch (error) {
    throw new RangeError(`runTraining: ${(error as Error).message}`);
  }
}
