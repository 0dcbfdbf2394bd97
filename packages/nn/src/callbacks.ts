// Callbacks for fit(): early stopping, checkpoints, learning rate on plateau, the training monitor.
import { type RngState, type Tensor, checkOptions, noGrad } from "@tapegrad/core";
import type {
  Callback, EpochRecord, FitRun, History, Monitored,
} from "./fit-types.js";
import { MONITORED } from "./fit-types.js";
import { checkChoice } from "./choices.js";
import { fmt } from "./diagnose-types.js";
import type { TrainingMonitor } from "./monitor.js";
import type { Module } from "./module.js";
import type { Objective } from "./objective.js";
import type { Optimizer } from "./optim/optimizer.js";

/** Which way a monitored number improves: "min", "max", or "auto" (accuracy up, others down). */
export type MonitorMode = "min" | "max" | "auto";

/** What improves, by how much, and how long to wait: shared by early stopping and plateaus. */
interface Watch {
  readonly monitor: Monitored;
  readonly mode: "min" | "max";
  readonly minDelta: number;
}

function makeWatch(where: string, monitor: unknown, mode: unknown, minDelta: unknown): Watch {
  const name = checkChoice(where, "monitor", monitor, MONITORED);
  if (mode !== "min" && mode !== "max" && mode !== "auto") {
    throw new RangeError(`${where}: mode must be min, max or auto; got ${JSON.stringify(mode)}`);
  }
  if (typeof minDelta !== "number" || !(minDelta >= 0)) {
    throw new RangeError(`${where}: minDelta must be a number ≥ 0; got ${String(minDelta)}`);
  }
  const resolved = mode === "auto" ? (name.endsWith("Accuracy") ? "max" : "min") : mode;
  return { monitor: name, mode: resolved, minDelta };
}

/** Refuses a monitored number the run will never produce (validation without data, say). */
function checkAvailable(where: string, watch: Watch, run: FitRun): void {
  const name = watch.monitor;
  if (name.startsWith("validation") && run.validationSize === 0) {
    throw new Error(`${where}: monitors ${name} but fit has no validation data; pass ` +
      `validationData or validationSplit, or monitor ${name.replace("validation", "train")}`);
  }
  const regression = run.objective.task === "regression";
  if (name.endsWith("Mae") && !regression) {
    throw new Error(`${where}: monitors ${name}, which only regression has; this is a ` +
      `${run.objective.task} task (monitor an accuracy or a loss)`);
  }
  if (name.endsWith("Accuracy") && regression) {
    throw new Error(`${where}: monitors ${name}, but a regression task has no accuracy ` +
      "(monitor a loss or an MAE)");
  }
}

function valueOf(record: EpochRecord, name: Monitored): number {
  const v = record[name];
  return typeof v === "number" ? v : Number.NaN;
}

/** The parameters and the buffers (batch norm's statistics): the weights of an epoch. */
const modelState = (model: Module): Tensor[] => model.namedState().map(([, t]) => t);

function improves(watch: Watch, value: number, best: number): boolean {
  return watch.mode === "min" ? value < best - watch.minDelta : value > best + watch.minDelta;
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** The number watched (default "validationLoss"). */
  readonly monitor?: Monitored;
  /** Epochs without improvement before stopping (default 0: the first one stops). */
  readonly patience?: number;
  /** A smaller change is no improvement (default 0). */
  readonly minDelta?: number;
  readonly mode?: MonitorMode;
  /** Put back the weights of the best epoch when training ends (default false). */
  readonly restoreBestWeights?: boolean;
}

/**
 * Stops training when a monitored number has not improved for `patience` epochs (Keras's
 * EarlyStopping); with `restoreBestWeights`, the model ends with its best epoch's weights.
 * `history.stopped` says when and why.
 * @example fit(model, data, { validationSplit: 0.2, callbacks: [earlyStopping({ patience: 3 })] })
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const where = "earlyStopping";
  const o = checkOptions(where, options,
    ["monitor", "patience", "minDelta", "mode", "restoreBestWeights"]);
  const watch = makeWatch(where, o.monitor ?? "validationLoss", o.mode ?? "auto",
    o.minDelta ?? 0);
  const patience = o.patience ?? 0;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new RangeError(`${where}: patience must be an integer ≥ 0; got ${patience}`);
  }
  let best = Number.NaN;
  let bestEpoch = 0;
  let wait = 0;
  let weights: Float64Array[] | null = null;
  return {
    onTrainBegin(run) {
      checkAvailable(where, watch, run);
      [best, bestEpoch, wait, weights] = [watch.mode === "min" ? Infinity : -Infinity, 0, 0, null];
    },
    onEpochEnd(record, run) {
      const value = valueOf(record, watch.monitor);
      if (improves(watch, value, best)) {
        [best, bestEpoch, wait] = [value, record.epoch, 0];
        if (o.restoreBestWeights) {
          weights = modelState(run.model).map((p) => Float64Array.from(p.data));
        }
        return;
      }
      wait++;
      if (wait >= patience) {
        run.stop("earlyStopping", `${watch.monitor} did not improve for ${wait} epoch` +
          `${wait === 1 ? "" : "s"}; the best was ${fmt(best)} at epoch ${bestEpoch}` +
          (o.restoreBestWeights && weights !== null ? " (its weights are restored)" : ""));
      }
    },
    onTrainEnd(history, run) {
      const last = history.epochs[history.epochs.length - 1]?.epoch;
      if (weights === null || last === bestEpoch) return;
      const saved = weights;
      noGrad(() => modelState(run.model).forEach((p, i) => p.data.set(saved[i])));
    },
  };
}

/** What a {@link checkpoint} callback hands its writer. */
export interface Snapshot {
  /** Epochs completed. */
  readonly epoch: number;
  readonly model: Module;
  readonly optimizer: Optimizer;
  /** The shuffling generator's state after `epoch` epochs (restore it to resume). */
  readonly rng: RngState;
  readonly history: History;
  readonly objective: Objective;
}

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** Writes the snapshot somewhere (a file, IndexedDB, a server); awaited before going on. */
  readonly write: (snapshot: Snapshot) => void | Promise<void>;
  /** Every this many epochs (default 1); the last epoch is always written. */
  readonly every?: number;
}

/**
 * Hands a snapshot of the run (model, optimizer, generator state, history) to `write` every
 * `every` epochs and after the last one, awaiting it. Storage is the writer's: the bytes API
 * (`modelToSafetensors`, `optimizer.stateDict()`) works anywhere.
 * @example checkpoint({ every: 5, write: async ({ model, epoch }) => save(model, epoch) })
 */
export function checkpoint(options: CheckpointOptions): Callback {
  const o = checkOptions("checkpoint", options, ["write", "every"]);
  if (typeof o.write !== "function") {
    throw new TypeError("checkpoint: write must be a function (snapshot) => void | Promise");
  }
  const every = o.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`checkpoint: every must be a positive integer; got ${every}`);
  }
  let written = -1;
  const save = async (run: FitRun, epoch: number) => {
    written = epoch;
    await o.write({
      epoch, model: run.model, optimizer: run.optimizer, rng: run.rng.getState(),
      history: run.history, objective: run.objective,
    });
  };
  return {
    async onEpochEnd(record, run) {
      if (record.epoch % every === 0 || record.epoch === run.epochs) await save(run, record.epoch);
    },
    async onTrainEnd(history, run) {
      const last = history.epochs.length;
      if (last > run.startEpoch && written !== last) await save(run, last);
    },
  };
}

/** Options of {@link reduceLrOnPlateau}. */
export interface ReduceLrOptions {
  readonly monitor?: Monitored;
  /** The learning rate is multiplied by this (default 0.1). */
  readonly factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  readonly patience?: number;
  /** A smaller change is no improvement (default 1e-4). */
  readonly minDelta?: number;
  readonly mode?: MonitorMode;
  /** Epochs to wait after a reduction before counting again (default 0). */
  readonly cooldown?: number;
  /** The rate never goes below this (default 0). */
  readonly minLearningRate?: number;
}

/**
 * Multiplies the learning rate by `factor` when a monitored number has not improved for
 * `patience` epochs (Keras's ReduceLROnPlateau), through `optimizer.learningRateScale`, so it
 * scales a schedule too.
 * @example reduceLrOnPlateau({ monitor: "validationLoss", factor: 0.5, patience: 2 })
 */
export function reduceLrOnPlateau(options: ReduceLrOptions = {}): Callback {
  const where = "reduceLrOnPlateau";
  const o = checkOptions(where, options, ["monitor", "factor", "patience", "minDelta", "mode",
    "cooldown", "minLearningRate"]);
  const watch = makeWatch(where, o.monitor ?? "validationLoss", o.mode ?? "auto",
    o.minDelta ?? 1e-4);
  const { factor = 0.1, patience = 10, cooldown = 0, minLearningRate = 0 } = o;
  if (!(factor > 0 && factor < 1)) {
    throw new RangeError(`${where}: factor must be in (0, 1); got ${factor}`);
  }
  for (const [key, value] of [["patience", patience], ["cooldown", cooldown]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${where}: ${key} must be an integer ≥ 0; got ${value}`);
    }
  }
  if (!(minLearningRate >= 0)) {
    throw new RangeError(`${where}: minLearningRate must be ≥ 0; got ${minLearningRate}`);
  }
  let best = Number.NaN;
  let wait = 0;
  let cooling = 0;
  return {
    onTrainBegin(run) {
      checkAvailable(where, watch, run);
      [best, wait, cooling] = [watch.mode === "min" ? Infinity : -Infinity, 0, 0];
    },
    onEpochEnd(record, run) {
      const value = valueOf(record, watch.monitor);
      if (cooling > 0) {
        cooling--;
        wait = 0;
      }
      if (improves(watch, value, best)) {
        [best, wait] = [value, 0];
        return;
      }
      if (cooling > 0 || ++wait < patience) return;
      const optimizer = run.optimizer;
      const rate = optimizer.learningRate;
      if (rate > minLearningRate) {
        const next = Math.max(rate * factor, minLearningRate);
        optimizer.learningRateScale *= next / rate;
        [cooling, wait] = [cooldown, 0];
      }
    },
  };
}

/** Options of {@link monitorTraining}. */
export interface MonitorTrainingOptions {
  /** Feed the monitor the mean of the last this many step losses (default 1: each loss). */
  readonly average?: number;
}

/**
 * Feeds a {@link TrainingMonitor} from fit: each step's loss (or a running mean, since
 * minibatch losses are noisy), each epoch's training loss with the data's constant-predictor
 * baseline (`run.baseline`), and fit's own findings (the first non-finite value), so its
 * plateau, loss-at-baseline and NaN warnings and diagnoses reach `onFinding`.
 * @example fit(model, data, { callbacks: [monitorTraining(new TrainingMonitor({ onFinding }))] })
 */
export function monitorTraining(
  monitor: TrainingMonitor, options: MonitorTrainingOptions = {},
): Callback {
  const { average = 1 } = checkOptions("monitorTraining", options, ["average"]);
  if (!Number.isInteger(average) || average < 1) {
    throw new RangeError(`monitorTraining: average must be a positive integer; got ${average}`);
  }
  const recent: number[] = [];
  return {
    onStep(info) {
      recent.push(info.loss);
      if (recent.length > average) recent.shift();
      monitor.step(recent.reduce((sum, loss) => sum + loss, 0) / recent.length);
    },
    onEpochEnd(record, run) {
      // A "sum" baseline is over the whole data set, the epoch's loss over batches: no match.
      if (run.objective.reduction !== "sum") monitor.baselineEpoch(record.trainLoss, run.baseline);
    },
    onFinding(finding) {
      monitor.record([finding]);
    },
  };
}
