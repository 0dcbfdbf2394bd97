// evaluate(): loss, metrics and the constant-predictor baseline of a model on a data set.
import { type Tensor, checkOptions, noGrad } from "@tapegrad/core";
import { BatchTargets, batches } from "./batches.js";
import { type Data, type Dataset, prepareData } from "./data.js";
import { baselineLoss } from "./diagnose-baseline.js";
import { countNonFinite } from "./finite.js";
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
 * activation (see resolveObjective). A loss that is NaN or Inf is an error naming the sample
 * or the weight that holds NaN/Inf.
 * @example evaluate(model, { x: testImages, y: testLabels }).accuracy // 0.978
 */
export function evaluate(model: Module, data: Data, options: EvaluateOptions = {}): Evaluation {
  const { batchSize = 1000, ...objectiveOptions } = checkOptions("evaluate", options,
    EVALUATE_KEYS);
  const dataset = prepareData(model, data, objectiveOptions, "evaluate");
  const result = evaluateDataset(model, dataset, batchSize);
  if (!Number.isFinite(result.loss)) {
    throw new RangeError(`evaluate: the loss is ${result.loss}: ` +
      (nonFiniteData(dataset) ?? nonFiniteWeights(model)));
  }
  return result;
}

/**
 * The first used sample whose input or target holds NaN/Inf, as the rest of a message
 * ("x[3] holds NaN (value 2 of the sample); remove or repair that sample"), or null.
 */
export function nonFiniteData(data: Dataset): string | null {
  const scan = (t: Tensor | null, name: string): string | null => {
    if (t === null) return null;
    const width = t.size / t.shape[0];
    for (const r of data.indices) {
      for (let j = 0; j < width; j++) {
        const v = t.data[r * width + j];
        if (Number.isFinite(v)) continue;
        const which = width === 1 ? "" : ` (value ${j} of the sample)`;
        return `${name}[${r}] holds ${v}${which}; remove or repair that sample`;
      }
    }
    return null;
  };
  return scan(data.x, "x") ?? scan(data.targets, "y");
}

function nonFiniteWeights(model: Module): string {
  for (const [name, t] of model.namedState()) {
    const bad = countNonFinite(t.data);
    if (bad > 0) {
      return `${name} holds ${bad} NaN/Inf value${bad === 1 ? "" : "s"}; the model's weights ` +
        "are not numbers (a diverged training run?)";
    }
  }
  return "the inputs and weights are finite, but the outputs overflow; scale the inputs " +
    "(standardise each feature) or check the weights' size";
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
