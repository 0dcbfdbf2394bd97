// fit(): the training loop — minibatches, compiled steps, metrics, validation, callbacks, and
// the first non-finite value reported at the step it appears.
import {
  BackwardBuffers, Rng, type Tensor, checkOptions, compileStep, defaultRng, isGradEnabled,
  moveToResident,
} from "@tapegrad/core";
import { BatchTargets, batchCount, batches } from "./batches.js";
import { checkCallbacks } from "./callback-check.js";
import { checkChoice } from "./choices.js";
import { type Data, type Dataset, prepareData, splitValidation } from "./data.js";
import type { Finding } from "./diagnose-types.js";
import { datasetBaseline, evaluateDataset, nonFiniteData } from "./evaluate.js";
import { FiniteCheck, nonFiniteFinding } from "./finite.js";
import type {
  Callback, EpochRecord, FitRun, History, StepContext, StepInfo, StopRecord,
} from "./fit-types.js";
import { MetricAccumulator } from "./metrics.js";
import { type Module, enterMode } from "./module.js";
import {
  type Objective, type ObjectiveOptions, objectiveLoss, predictionOf,
} from "./objective.js";
import { Adam } from "./optim/adam.js";
import { Optimizer } from "./optim/optimizer.js";

/** Options of {@link fit}; every field has a default. */
export interface FitOptions extends ObjectiveOptions {
  /** Epochs in total (default 1); with `history`, the epochs already done count. */
  readonly epochs?: number;
  /** Samples per step (default 32). The last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /** Default: Adam with learning rate 1e-3 over the model's parameters. */
  readonly optimizer?: Optimizer;
  /** Data evaluated after every epoch (validationLoss, validationAccuracy in the history). */
  readonly validationData?: Data;
  /** Or: this fraction of the rows (the last ones, before shuffling) held out for validation. */
  readonly validationSplit?: number;
  /** Shuffle the rows every epoch (default true). */
  readonly shuffle?: boolean;
  /** The shuffling generator, or a seed for one; default: the process-wide `defaultRng()`. */
  readonly rng?: Rng;
  readonly seed?: number;
  /**
   * Run each step through `compileStep` (default true): traced once per batch shape, then
   * replayed without the tape. false runs the eager tape every step, with the same values.
   * Either way float32 parameters move into the kernels' memory (`moveToResident`), and the
   * gradients a step puts in `.grad` are overwritten by later steps (eager: `BackwardBuffers`);
   * `clone()` one to keep it.
   */
  readonly compile?: boolean;
  readonly callbacks?: readonly Callback[];
  /** Shorthands for a callback's onStep and onEpochEnd. */
  readonly onStep?: (info: StepInfo, run: FitRun) => void;
  readonly onEpochEnd?: (record: EpochRecord, run: FitRun) => void | Promise<void>;
  /** Continue a run: its history so far (the epochs it holds are done). */
  readonly history?: History;
  /**
   * What the first NaN/Inf loss, gradient or parameter does: "throw" (default) a
   * NonFiniteError naming it, "stop" training before that update, or "warn" (report it to
   * the callbacks' onFinding once and go on).
   */
  readonly nonFinite?: "throw" | "stop" | "warn";
  /** Samples per forward pass when evaluating the validation data (default 1000). */
  readonly validationBatchSize?: number;
}

const FIT_KEYS = [
  "loss", "reduction", "task", "epochs", "batchSize", "optimizer", "validationData",
  "validationSplit", "shuffle", "rng", "seed", "compile", "callbacks", "onStep", "onEpochEnd",
  "history", "nonFinite", "validationBatchSize",
];

/** Thrown by {@link fit} at the first NaN/Inf loss, gradient or parameter (nonFinite "throw"). */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
  constructor(readonly finding: Finding, readonly history: History) {
    super(`fit: ${finding.message}. Cause: ${finding.cause}. Fix: ${finding.fix}. The ` +
      "parameters were left as they were before that update");
  }
}

/**
 * Trains `model` on `data` and returns the history, as Keras's `model.fit`: shuffled
 * minibatches (from a seeded generator), compiled steps, the loss and metrics the model's
 * output calls for (see resolveObjective: sigmoid → BCE on the logits, softmax → cross-entropy,
 * identity with real targets → MSE), validation after every epoch, and callbacks. Stops with a
 * NonFiniteError naming the parameter and the step at the first NaN/Inf.
 * @example
 * const history = await fit(model, { x, y }, {
 *   epochs: 20, batchSize: 32, validationSplit: 0.2, seed: 1,
 *   optimizer: new Adam(model.parameters(), { learningRate: 1e-2 }),
 *   callbacks: [earlyStopping({ patience: 3, restoreBestWeights: true })],
 * });
 * history.epochs.at(-1)?.validationAccuracy; // 0.97
 */
export async function fit(model: Module, data: Data, options: FitOptions = {}): Promise<History> {
  const o = checkOptions("fit", options, FIT_KEYS);
  checkCallbacks(o.callbacks);
  const epochs = positiveInteger("epochs", o.epochs ?? 1, 0);
  const batchSize = positiveInteger("batchSize", o.batchSize ?? 32, 1);
  if (!isGradEnabled()) throw new Error("fit: called inside noGrad; gradients are needed");
  const objectiveOptions = { loss: o.loss, reduction: o.reduction, task: o.task };
  const { train, validation } = splitData(model, data, o, objectiveOptions);
  const optimizer = o.optimizer ?? new Adam(model.parameters());
  checkOptimizer(model, optimizer);
  const run = new Run(model, optimizer, train, validation, o, epochs, batchSize);
  return run.execute(o.compile ?? true);
}

function positiveInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    const what = min === 0 ? "a non-negative integer" : "a positive integer";
    throw new RangeError(`fit: ${name} must be ${what}; got ${String(value)}`);
  }
  return value;
}

function splitData(
  model: Module, data: Data, o: FitOptions, objectiveOptions: ObjectiveOptions,
): { train: Dataset; validation: Dataset | null } {
  const all = prepareData(model, data, objectiveOptions, "fit");
  if (o.validationData !== undefined && o.validationSplit !== undefined) {
    throw new TypeError("fit: pass validationData or validationSplit, not both");
  }
  if (o.validationSplit !== undefined) return splitValidation(all, o.validationSplit);
  if (o.validationData === undefined) return { train: all, validation: null };
  const validation = prepareData(model, o.validationData, objectiveOptions,
    "fit: validationData");
  const [a, b] = [all.objective, validation.objective];
  if (a.loss !== b.loss || a.task !== b.task) {
    throw new TypeError(`fit: validationData's targets make a ${b.task} task with ${b.loss}, ` +
      `the training data's a ${a.task} task with ${a.loss}; give y in the same form`);
  }
  return { train: all, validation: { ...validation, objective: a } };
}

function checkOptimizer(model: Module, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) {
    throw new TypeError("fit: optimizer must be an Optimizer (SGD, Adam, AdamW, …)");
  }
  const own = new Set(model.parameters());
  const foreign = optimizer.params.findIndex((p) => !own.has(p));
  if (foreign >= 0) {
    throw new Error(`fit: the optimizer's params[${foreign}] is not a parameter of the model; ` +
      "build the optimizer from model.parameters()");
  }
}

type Step = (x: Tensor, target: Tensor) => readonly [Tensor, Tensor];

/** One training step: the loss and the prediction, with every parameter's `.grad` set. */
function makeStep(model: Module, objective: Objective, compiled: boolean): Step {
  const lossAndPrediction = (x: Tensor, target: Tensor) => {
    const prediction = predictionOf(objective, model, x);
    return [objectiveLoss(objective, prediction, target), prediction] as const;
  };
  // The kernels and the optimizer then use the parameters in place (compileStep does this too,
  // but not while anomaly detection has it run eagerly).
  moveToResident(model.parameters());
  if (compiled) return compileStep(lossAndPrediction, model.parameters());
  // The gradients live in buffers reused from step to step.
  const buffers = new BackwardBuffers();
  return (x, target) => {
    const [loss, prediction] = lossAndPrediction(x, target);
    buffers.backward(loss);
    return [loss, prediction];
  };
}

/** The state of one fit() call. */
class Run implements FitRun {
  readonly history: History;
  readonly rng: Rng;
  readonly objective: Objective;
  readonly startEpoch: number;
  readonly stepsPerEpoch: number;
  readonly trainSize: number;
  readonly validationSize: number;
  readonly #callbacks: Callback[];
  readonly #check: FiniteCheck;
  readonly #train: Dataset;
  readonly #validation: Dataset | null;
  readonly #o: FitOptions;
  readonly #batchSize: number;
  #stopping = false;
  #baseline: number | undefined;
  #reportedNonFinite = false;
  #reportedValidation = false;
  #epoch = 0;

  constructor(
    readonly model: Module, readonly optimizer: Optimizer, train: Dataset,
    validation: Dataset | null, o: FitOptions, readonly epochs: number, batchSize: number,
  ) {
    this.#train = train;
    this.#validation = validation;
    this.#o = o;
    this.#batchSize = batchSize;
    if (o.rng !== undefined && o.seed !== undefined) {
      throw new TypeError("fit: pass rng or seed, not both");
    }
    if (o.rng !== undefined && !(o.rng instanceof Rng)) {
      throw new TypeError("fit: rng must be an Rng");
    }
    this.rng = o.rng ?? (o.seed !== undefined ? new Rng(o.seed) : defaultRng());
    this.objective = train.objective;
    this.history = {
      stepLosses: [...(o.history?.stepLosses ?? [])], epochs: [...(o.history?.epochs ?? [])],
    };
    this.startEpoch = this.history.epochs.length;
    this.trainSize = train.indices.length;
    this.validationSize = validation?.indices.length ?? 0;
    this.stepsPerEpoch = batchCount(this.trainSize, batchSize);
    this.#callbacks = [...(o.callbacks ?? []), { onStep: o.onStep, onEpochEnd: o.onEpochEnd }];
    this.#check = new FiniteCheck(model.namedParameters());
    if (o.nonFinite !== undefined) {
      checkChoice("fit", "nonFinite", o.nonFinite, ["throw", "stop", "warn"]);
    }
  }

  get baseline(): number {
    return this.#baseline ??= datasetBaseline(this.#train);
  }

  stop(reason: StopRecord["reason"], message: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.history.stopped = { reason, epoch: this.#epoch, message };
  }

  async execute(compiled: boolean): Promise<History> {
    // Training mode for the steps (dropout on, batch norm on batch statistics); evaluation of
    // the validation data switches to evaluation mode and back; the caller's modes return after.
    const restore = enterMode(this.model, true);
    try {
      return await this.#trainEpochs(compiled);
    } finally {
      restore();
    }
  }

  async #trainEpochs(compiled: boolean): Promise<History> {
    const step = makeStep(this.model, this.objective, compiled);
    for (const c of this.#callbacks) await c.onTrainBegin?.(this);
    if (!this.#check.parametersFinite()) this.#nonFinite("start", undefined, null);
    const targets = new BatchTargets(this.#train);
    try {
      for (let epoch = this.startEpoch + 1; epoch <= this.epochs && !this.#stopping; epoch++) {
        this.#epoch = epoch;
        for (const c of this.#callbacks) await c.onEpochBegin?.(epoch, this);
        const record = this.#trainEpoch(epoch, step, targets);
        if (record === null) break;
        this.history.epochs.push(record);
        if (!this.#reportedNonFinite && !this.#check.parametersFinite()) {
          this.#nonFinite("epoch", undefined, null);
        }
        for (const c of this.#callbacks) await c.onEpochEnd?.(record, this);
      }
    } finally {
      targets.release();
    }
    for (const c of this.#callbacks) await c.onTrainEnd?.(this.history, this);
    return this.history;
  }

  /** One pass over the training rows; null when it stopped before any sample. */
  #trainEpoch(epoch: number, step: Step, targets: BatchTargets): EpochRecord | null {
    const { model, optimizer, history, objective } = this;
    model.train(true); // a callback may have switched it
    const learningRate = optimizer.learningRate;
    const metrics = new MetricAccumulator(objective);
    const started = performance.now();
    let lossSum = 0;
    let samples = 0;
    let batch = 0;
    const rng = this.#o.shuffle === false ? undefined : this.rng;
    const { x: all, indices } = this.#train;
    const order = batches(all, indices, this.#batchSize, { rng, reuse: true });
    for (const { x, rows } of order) {
      batch++;
      const { target, labels } = targets.take(rows);
      optimizer.zeroGrad();
      const [loss, prediction] = step(x, target);
      const stepNumber = history.stepLosses.length + 1;
      const value = loss.item();
      const context: StepContext = { epoch, step: stepNumber, x, target, labels, prediction, loss };
      for (const c of this.#callbacks) c.afterBackward?.(context, this);
      if (!this.#reportedNonFinite && !(Number.isFinite(value) && this.#check.gradientsFinite())) {
        const verdict = this.#nonFinite("step", value, { x, target, rows, batch });
        if (verdict === "stop") break;
      }
      optimizer.step();
      history.stepLosses.push(value);
      lossSum += value * rows.length;
      samples += rows.length;
      metrics.add(prediction, target, labels);
      const info: StepInfo = {
        epoch, step: stepNumber, batch, batches: this.stepsPerEpoch, loss: value,
        epochLoss: lossSum / samples, epochAccuracy: metrics.accuracy(), samples,
        elapsedSeconds: (performance.now() - started) / 1000,
      };
      for (const c of this.#callbacks) c.onStep?.(info, this);
      if (this.#stopping) break;
    }
    const seconds = (performance.now() - started) / 1000;
    if (samples === 0) return null;
    const val = this.#validation === null ? null
      : evaluateDataset(model, this.#validation, this.#o.validationBatchSize ?? 1000);
    // NaN/Inf in the validation data would otherwise be a NaN validation loss in the history.
    const corrupt = val === null || Number.isFinite(val.loss) ? null
      : nonFiniteData(this.#validation as Dataset);
    if (corrupt !== null) this.#corruptValidation(epoch, val!.loss, corrupt);
    return {
      epoch, trainLoss: lossSum / samples, trainAccuracy: metrics.accuracy(),
      validationLoss: val?.loss ?? null, validationAccuracy: val?.accuracy ?? null,
      ...(objective.task === "regression"
        ? { trainMae: metrics.mae() as number, validationMae: val?.mae ?? null }
        : {}),
      seconds, samplesPerSecond: samples / seconds, learningRate,
    };
  }

  /**
   * A validation sample holds NaN/Inf (`corrupt` names it): as the `nonFinite` option says,
   * an error, or a finding for the callbacks with training stopped ("stop") or going on
   * ("warn", reported once; the epochs then record the non-finite validation loss).
   */
  #corruptValidation(epoch: number, loss: number, corrupt: string): void {
    const which = this.#o.validationData !== undefined ? "validationData" : "validationSplit";
    const message = `the validation loss is ${loss} after epoch ${epoch}: ${which} ${corrupt}`;
    const mode = this.#o.nonFinite ?? "throw";
    if (mode === "throw") throw new RangeError(`fit: ${message}`);
    if (this.#reportedValidation) return; // once a run, as the first non-finite value
    this.#reportedValidation = true;
    const finding: Finding = {
      code: "non-finite", severity: "error", layer: which, value: loss, message,
      cause: "the data: a validation sample is not a number", fix: "remove or repair that sample",
    };
    for (const c of this.#callbacks) c.onFinding?.(finding, this);
    if (mode === "stop") this.stop("nonFinite", message);
  }

  /**
   * Reports the first non-finite value as the `nonFinite` option says: throws, or stops
   * before the update ("stop"), or tells the callbacks and goes on ("warn").
   */
  #nonFinite(
    phase: "step" | "epoch" | "start", loss: number | undefined,
    batch: { x: Tensor; target: Tensor; rows: Int32Array; batch: number } | null,
  ): "stop" | "go on" {
    const step = this.history.stepLosses.length + (phase === "step" ? 1 : 0);
    const finding = nonFiniteFinding({
      phase, position: { step, epoch: this.#epoch, batch: batch?.batch }, loss,
      parameters: this.model.namedParameters(),
      input: batch?.x, target: batch?.target, rows: batch?.rows,
    });
    if (finding === null) return "go on"; // a finite sum overflowed: nothing is NaN/Inf
    this.#reportedNonFinite = true;
    const mode = this.#o.nonFinite ?? "throw";
    if (mode === "throw") throw new NonFiniteError(finding, this.history);
    for (const c of this.#callbacks) c.onFinding?.(finding, this);
    if (mode === "warn") return "go on";
    this.stop("nonFinite", finding.message);
    return "stop";
  }
}
