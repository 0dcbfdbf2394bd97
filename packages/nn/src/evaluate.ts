// evaluate(): loss, metrics and the constant-predictor baseline of a model on a data set.
import { checkOptions, noGrad } from "@tapegrad/core";
import { BatchTargets, batches } from "./batches.js";
import { type Data, type Dataset, prepareData } from "./data.js";
import { baselineLoss } from "./diagnose-baseline.js";
import { MetricAccumulator } from "./metrics.js";
import { type Module, enterMode } from "./module.js";
import {
  type Objective, type ObjectiveOptions, labelBaseline, objectiveLoss, predictionOf,
} from "./objective.js";

/** Result of {@link evaluate}. */
export interface Evaluation {
  /** Samples evaluated. */
  readonly count: number;
  /** Mean loss per sample (as the objective reduces it). */
  readonly loss: number;
  /** Fraction correct for classification (per label for multilabel); null for regression. */
  readonly accuracy: number | null;
  /** Accuracy of each class (each label for multilabel); null for regression. */
  readonly perClassAccuracy: number[] | null;
  /** Rows are true classes, columns predictions; null for multilabel and regression. */
  readonly confusion: number[][] | null;
  /** Mean absolute error over every output, for regression; null otherwise. */
  readonly mae: number | null;
  /** The loss of the best constant predictor on these targets (one that ignores the input). */
  readonly baselineLoss: number;
  readonly objective: Objective;
}

/** Options of {@link evaluate}: the objective's choices and the batch size. */
export interface EvaluateOptions extends ObjectiveOptions {
  /** Samples per forward pass (default 1000). */
  readonly batchSize?: number;
}

const EVALUATE_KEYS = ["loss", "reduction", "task", "batchSize"];

/**
 * Loss, metrics and baseline of `model` on `data`, in evaluation mode (dropout off, batch
 * norm on its running statistics) without recording gradients; the modes are put back after.
 * The number of classes comes from the model's outputs; the loss and task from its output
 * activation (see resolveObjective).
 * @example evaluate(model, { x: testImages, y: testLabels }).accuracy // 0.978
 */
export function evaluate(model: Module, data: Data, options: EvaluateOptions = {}): Evaluation {
  const { batchSize = 1000, ...objectiveOptions } = checkOptions("evaluate", options,
    EVALUATE_KEYS);
  return evaluateDataset(model, prepareData(model, data, objectiveOptions, "evaluate"),
    batchSize);
}

/** {@link evaluate} on data already checked by prepareData. */
export function evaluateDataset(model: Module, data: Dataset, batchSize = 1000): Evaluation {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`evaluate: batchSize must be a positive integer; got ${batchSize}`);
  }
  const { objective } = data;
  const metrics = new MetricAccumulator(objective, true);
  const targets = new BatchTargets(data);
  let lossSum = 0;
  const restore = enterMode(model, false);
  try {
    noGrad(() => {
      for (const { x, rows } of batches(data.x, data.indices, batchSize, { reuse: true })) {
        const { target, labels } = targets.take(rows);
        const prediction = predictionOf(objective, model, x);
        lossSum += objectiveLoss(objective, prediction, target).item() * rows.length;
        metrics.add(prediction, target, labels);
      }
    });
  } finally {
    targets.release();
    restore();
  }
  const count = data.indices.length;
  return {
    count, loss: lossSum / count, accuracy: metrics.accuracy(),
    perClassAccuracy: metrics.perClassAccuracy(), confusion: metrics.confusion,
    mae: metrics.mae(), baselineLoss: datasetBaseline(data), objective,
  };
}

/** The constant-predictor loss on a data set's used rows. */
export function datasetBaseline(data: Dataset): number {
  const { objective, labels, targets, indices } = data;
  if (labels !== null) {
    const counts = new Array<number>(objective.classes).fill(0);
    for (const r of indices) counts[labels[r]]++;
    return labelBaseline(objective, counts);
  }
  const rows = targets as NonNullable<typeof targets>;
  const used = indices.length === rows.shape[0] && isIdentity(indices)
    ? rows
    : noGrad(() => rows.gather(indices));
  return baselineLoss(used, { loss: objective.loss, reduction: objective.reduction });
}

function isIdentity(indices: Int32Array): boolean {
  for (let i = 0; i < indices.length; i++) if (indices[i] !== i) return false;
  return true;
}
