// The records fit() keeps and hands to callbacks: history, epochs, steps, and the callback API.
import type { Rng, Tensor } from "@tapegrad/core";
import type { Finding } from "./diagnose-types.js";
import type { Module } from "./module.js";
import type { Objective } from "./objective.js";
import type { Optimizer } from "./optim/optimizer.js";

/** What one epoch of {@link fit} measured. */
export interface EpochRecord {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean training loss over the epoch's samples, as the model trained. */
  readonly trainLoss: number;
  /** Training accuracy (classification; per label for multilabel), null for regression. */
  readonly trainAccuracy: number | null;
  /** Validation loss and accuracy after the epoch; null without validation data. */
  readonly validationLoss: number | null;
  readonly validationAccuracy: number | null;
  /** Mean absolute errors, for regression only. */
  readonly trainMae?: number;
  readonly validationMae?: number | null;
  /** Wall time of the epoch's training steps (validation excluded), and throughput. */
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** The learning rate of the epoch's first step. */
  readonly learningRate: number;
}

/** Why a run ended before its last epoch. */
export interface StopRecord {
  readonly reason: "earlyStopping" | "nonFinite" | "callback";
  /** Epoch during or after which it stopped. */
  readonly epoch: number;
  readonly message: string;
}

/** Everything trained so far: per-step losses (in step order) and per-epoch records. */
export interface History {
  readonly stepLosses: number[];
  readonly epochs: EpochRecord[];
  /** Set when training stopped early (early stopping, a non-finite value, a callback). */
  stopped?: StopRecord;
}

/** The monitored numbers of an epoch record, for early stopping and learning-rate plateaus. */
export const MONITORED = [
  "validationLoss", "validationAccuracy", "validationMae", "trainLoss", "trainAccuracy", "trainMae",
] as const;
export type Monitored = (typeof MONITORED)[number];

/** Passed to callbacks after every step. */
export interface StepInfo {
  readonly epoch: number;
  /** Global step number (1-based, across epochs) and the batch within the epoch (1-based). */
  readonly step: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  /** Running mean loss of the epoch so far and its accuracy (null for regression). */
  readonly epochLoss: number;
  readonly epochAccuracy: number | null;
  /** Samples seen this epoch, and seconds since it started. */
  readonly samples: number;
  readonly elapsedSeconds: number;
}

/** What `afterBackward` sees: the batch, its prediction and loss; gradients set, no update yet. */
export interface StepContext {
  readonly epoch: number;
  readonly step: number;
  readonly x: Tensor;
  /** The batch's loss target, and its class labels (null for regression and multilabel). */
  readonly target: Tensor;
  readonly labels: Int32Array | null;
  /** What the loss took: the logits, or the output (see Objective.fromLogits). */
  readonly prediction: Tensor;
  readonly loss: Tensor;
}

/** The run a callback is part of: the model, optimizer, objective, history, and a stop switch. */
export interface FitRun {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly objective: Objective;
  readonly history: History;
  /** The shuffling generator (its state is what a checkpoint saves to resume the same order). */
  readonly rng: Rng;
  /** Epochs in total, epochs done before this call (resuming), and batches per epoch. */
  readonly epochs: number;
  readonly startEpoch: number;
  readonly stepsPerEpoch: number;
  readonly trainSize: number;
  readonly validationSize: number;
  /**
   * The constant-predictor loss on the training data (predicting the label frequencies, or the
   * targets' means; see `baselineLoss`): an epoch loss that stays there means the model ignores
   * its input. Computed when first read.
   */
  readonly baseline: number;
  /** Ends training once the current step (or epoch, from onEpochEnd) is done. */
  stop(reason: StopRecord["reason"], message: string): void;
}

/**
 * Hooks into {@link fit}, each optional (as Keras's callbacks). The async ones are awaited;
 * `afterBackward` and `onStep` run inside the step loop and must be synchronous.
 */
export interface Callback {
  onTrainBegin?(run: FitRun): void | Promise<void>;
  onEpochBegin?(epoch: number, run: FitRun): void | Promise<void>;
  /**
   * Every parameter's `.grad` is set; the optimizer has not stepped yet. Later steps overwrite
   * these gradients (see `FitOptions.compile`): `clone()` one to keep it.
   */
  afterBackward?(context: StepContext, run: FitRun): void;
  onStep?(info: StepInfo, run: FitRun): void;
  onEpochEnd?(record: EpochRecord, run: FitRun): void | Promise<void>;
  /** A problem found while training, such as the first non-finite value. */
  onFinding?(finding: Finding, run: FitRun): void;
  onTrainEnd?(history: History, run: FitRun): void | Promise<void>;
}
