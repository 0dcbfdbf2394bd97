// The training loop as a library function: minibatch steps, per-epoch metrics, hooks.
import {
  type Rng, type Tensor, compileStep, noGrad, oneHot, isGradEnabled,
} from "@tapegrad/core";
import { bceWithLogits, crossEntropy, frequencyBaseline, type Optimizer } from "@tapegrad/nn";
import { type DataSplit, batches, batchCount, labelFrequencies, splitSize } from "./dataset.js";
import {
  addToConfusion, emptyConfusion, perClassAccuracy,
  predictedClasses,
} from "./metrics.js";

/**
 * What the loop needs from a model: a forward pass and parameters, plus (as `Sequential` has)
 * `logits()` and `outputActivation` so the loss can take the stable logits path.
 */
export interface ClassifierModel {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[];
  train(on?: boolean): unknown;
  logits?(x: Tensor): Tensor;
  readonly outputActivation?: string;
}

/**
 * "bce": one sigmoid per class, BCE summed over the classes and averaged over the batch (the
 * seed's loss), computed from the logits. "crossEntropy": softmax cross-entropy, batch mean.
 */
export type LossKind = "bce" | "crossEntropy";

/**
 * The loss a model's output activation calls for: sigmoid → "bce"; softmax/identity →
 * "crossEntropy".
 */
export function lossKindFor(model: ClassifierModel): LossKind {
  const act = model.outputActivation ?? "identity";
  if (act === "sigmoid") return "bce";
  if (act === "softmax" || act === "identity") return "crossEntropy";
  throw new RangeError(
    `train: cannot pick a classification loss for a model ending in ${act}; ` +
      "end it in sigmoid, softmax or identity",
  );
}

/** The logits of `model` (before its final sigmoid/softmax) or, lacking `logits()`, its output. */
export function modelLogits(model: ClassifierModel, x: Tensor): Tensor {
  return model.logits ? model.logits(x) : model.forward(x);
}

/** The batch loss of `logits` against integer `labels`. */
export function classificationLoss(
  kind: LossKind, logits: Tensor, labels: Int32Array, classes: number,
): Tensor {
  return targetLoss(kind, logits, oneHot(labels, classes, logits.dtype));
}

/** The batch loss of `logits` against one-hot `targets` of the same shape. */
export function targetLoss(kind: LossKind, logits: Tensor, targets: Tensor): Tensor {
  return kind === "bce"
    ? bceWithLogits(logits, targets, { reduction: "batchMean" })
    : crossEntropy(logits, targets, { reduction: "mean" });
}

/** The constant-predictor loss for `kind` given the class frequencies (see metrics.ts). */
export function baselineLoss(kind: LossKind, frequencies: readonly number[]): number {
  return frequencyBaseline(kind, frequencies);
}

/** Per-epoch record kept in the history and the checkpoint metadata. */
export interface EpochRecord {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean training loss over the epoch's samples, and training accuracy (as the model trained). */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Validation loss and accuracy after the epoch; null without a validation split. */
  readonly validationLoss: number | null;
  readonly validationAccuracy: number | null;
  /** Wall time of the epoch's training steps (validation excluded), and throughput. */
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly learningRate: number;
}

/** Everything trained so far: per-step losses (in step order) and per-epoch records. */
export interface TrainHistory {
  readonly stepLosses: number[];
  readonly epochs: EpochRecord[];
}

/** Passed to hooks after every step. */
export interface StepInfo {
  readonly epoch: number;
  /** Global step number (1-based, across epochs) and the batch within the epoch (1-based). */
  readonly step: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  /** Running mean loss and accuracy of the epoch so far; samples seen this epoch. */
  readonly epochLoss: number;
  readonly epochAccuracy: number;
  readonly samples: number;
  readonly elapsedSeconds: number;
}

/** What a monitor sees after backward, before the update: the batch and fresh gradients. */
export interface StepContext {
  readonly epoch: number;
  readonly step: number;
  readonly model: ClassifierModel;
  readonly x: Tensor;
  readonly labels: Int32Array;
  readonly logits: Tensor;
  readonly loss: Tensor;
}

/**
 * Hooks for a training monitor (e.g. @tapegrad/nn's TrainingMonitor, fed from `onStep`): any
 * subset. `afterBackward` runs with every parameter's `.grad` set, before the optimizer step.
 */
export interface TrainingHooks {
  afterBackward?(ctx: StepContext): void;
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord, history: TrainHistory): void | Promise<void>;
}

/** Options of {@link train}. */
export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Shuffles each epoch; its state is what a checkpoint saves to resume the same order. */
  readonly rng: Rng;
  readonly validation?: DataSplit;
  /** Default: {@link lossKindFor} the model. */
  readonly loss?: LossKind;
  readonly classes?: number;
  /** Continue a run: its history so far (epochs done = history.epochs.length). */
  readonly history?: TrainHistory;
  readonly onStep?: (info: StepInfo) => void;
  /** Awaited after each epoch (checkpoint writers go here). */
  readonly onEpoch?: (record: EpochRecord, history: TrainHistory) => void | Promise<void>;
  readonly monitors?: readonly TrainingHooks[];
  /**
   * Run each step through `compileStep` (default true): traced once per batch shape, then
   * replayed without the tape. false runs the eager tape every step (same values).
   */
  readonly compile?: boolean;
}

/**
 * Trains `model` with `optimizer` on `trainSet` for `options.epochs` epochs in total (fewer if
 * `history` says some are done), evaluating on `validation` after each. Deterministic given the
 * model's initial weights, the optimizer state and the rng state.
 * @example
 * const history = await train(model, new Adam(model.parameters(), { learningRate: 1e-3 }),
 *   data.train, { epochs: 5, batchSize: 64, rng: new Rng(1), validation: data.validation });
 */
export async function train(
  model: ClassifierModel, optimizer: Optimizer, trainSet: DataSplit, options: TrainOptions,
): Promise<TrainHistory> {
  const { epochs, batchSize, rng } = options;
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new RangeError(`train: epochs must be a non-negative integer; got ${epochs}`);
  }
  if (splitSize(trainSet) === 0) throw new RangeError("train: the training set is empty");
  if (!isGradEnabled()) throw new Error("train: called inside noGrad; gradients are needed");
  const kind = options.loss ?? lossKindFor(model);
  const classes = options.classes ?? 10;
  const history: TrainHistory = {
    stepLosses: [...(options.history?.stepLosses ?? [])],
    epochs: [...(options.history?.epochs ?? [])],
  };
  const monitors = [
    ...(options.monitors ?? []),
    { onStep: options.onStep, onEpoch: options.onEpoch },
  ];
  const total = batchCount(trainSet, batchSize);
  const runStep = makeStep(model, kind, options.compile ?? true);
  for (let epoch = history.epochs.length + 1; epoch <= epochs; epoch++) {
    model.train(true);
    const learningRate = optimizer.learningRate;
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let samples = 0;
    let batch = 0;
    for (const { x, labels } of batches(trainSet, batchSize, rng, { reuse: true })) {
      batch++;
      optimizer.zeroGrad();
      const [loss, logits] = runStep(x, oneHot(labels, classes, x.dtype));
      const step = history.stepLosses.length + 1;
      const ctx: StepContext = { epoch, step, model, x, labels, logits, loss };
      for (const m of monitors) m.afterBackward?.(ctx);
      optimizer.step();
      const value = loss.item();
      history.stepLosses.push(value);
      lossSum += value * labels.length;
      samples += labels.length;
      correct += countCorrect(logits, labels);
      const info: StepInfo = {
        epoch, step, batch, batches: total, loss: value, epochLoss: lossSum / samples,
        epochAccuracy: correct / samples, samples,
        elapsedSeconds: (performance.now() - started) / 1000,
      };
      for (const m of monitors) m.onStep?.(info);
    }
    const seconds = (performance.now() - started) / 1000;
    const val = options.validation && splitSize(options.validation) > 0
      ? evaluate(model, options.validation, { loss: kind, classes })
      : null;
    const record: EpochRecord = {
      epoch, trainLoss: lossSum / samples, trainAccuracy: correct / samples,
      validationLoss: val?.loss ?? null, validationAccuracy: val?.accuracy ?? null,
      seconds, samplesPerSecond: samples / seconds, learningRate,
    };
    history.epochs.push(record);
    for (const m of monitors) await m.onEpoch?.(record, history);
  }
  return history;
}

type Step = (x: Tensor, targets: Tensor) => readonly [Tensor, Tensor];

/** One training step: the loss and logits, with every parameter's `.grad` set. */
function makeStep(model: ClassifierModel, kind: LossKind, compiled: boolean): Step {
  const lossAndLogits = (x: Tensor, targets: Tensor) => {
    const logits = modelLogits(model, x);
    return [targetLoss(kind, logits, targets), logits] as const;
  };
  if (compiled) return compileStep(lossAndLogits, model.parameters());
  return (x, targets) => {
    const [loss, logits] = lossAndLogits(x, targets);
    loss.backward();
    return [loss, logits];
  };
}

function countCorrect(logits: Tensor, labels: Int32Array): number {
  const predicted = predictedClasses(logits);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct;
}

/** Result of {@link evaluate}. */
export interface Evaluation {
  readonly count: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Rows are true labels, columns predictions. */
  readonly confusion: number[][];
  readonly perClassAccuracy: number[];
  /** The loss of the best constant predictor on this split's labels. */
  readonly baselineLoss: number;
}

/**
 * Loss, accuracy and confusion matrix of `model` on `split`, in evaluation mode without
 * recording gradients (the model is left in evaluation mode).
 * @example evaluate(model, data.test).accuracy // 0.978
 */
export function evaluate(
  model: ClassifierModel, split: DataSplit,
  options: { loss?: LossKind; classes?: number; batchSize?: number } = {},
): Evaluation {
  const kind = options.loss ?? lossKindFor(model);
  const classes = options.classes ?? 10;
  const confusion = emptyConfusion(classes);
  let lossSum = 0;
  let correct = 0;
  model.train(false);
  noGrad(() => {
    for (const { x, labels } of batches(split, options.batchSize ?? 1000, undefined, {
      reuse: true,
    })) {
      const logits = modelLogits(model, x);
      lossSum += classificationLoss(kind, logits, labels, classes).item() * labels.length;
      correct += addToConfusion(confusion, labels, predictedClasses(logits));
    }
  });
  const count = splitSize(split);
  return {
    count, loss: lossSum / count, accuracy: correct / count, confusion,
    perClassAccuracy: perClassAccuracy(confusion),
    baselineLoss: baselineLoss(kind, labelFrequencies(split, classes)),
  };
}
