// Metrics by task: accuracy (per class, confusion matrix) for classification, MAE for regression.
import type { Tensor } from "@tapegrad/core";
import type { Objective } from "./objective.js";

/**
 * Index of the largest value in each row of a `[batch, classes]` tensor (the first on ties).
 * Works on logits or probabilities alike, since both activations are monotonic.
 */
export function predictedClasses(scores: Tensor): Int32Array {
  const [batch, classes] = scores.shape;
  const out = new Int32Array(batch);
  const d = scores.data;
  for (let r = 0; r < batch; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (d[r * classes + c] > d[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** An all-zero `classes × classes` matrix: rows are true labels, columns predictions. */
export function emptyConfusion(classes: number): number[][] {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/** Adds one batch to `confusion` and returns the number of correct predictions. */
export function addToConfusion(
  confusion: number[][], labels: ArrayLike<number>, predicted: ArrayLike<number>,
): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predicted[i]]++;
    if (labels[i] === predicted[i]) correct++;
  }
  return correct;
}

/** Accuracy of each class (row) of a confusion matrix; NaN for a class with no samples. */
export function perClassAccuracy(confusion: number[][]): number[] {
  return confusion.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : row[k] / total;
  });
}

/**
 * The predicted class of each row for a classification objective: the argmax for multiclass,
 * output above 0.5 (logit above 0) for binary.
 */
export function predictLabels(objective: Objective, prediction: Tensor): Int32Array {
  if (objective.task === "binary") {
    const threshold = objective.fromLogits ? 0 : 0.5;
    return Int32Array.from(prediction.data, (v) => (v > threshold ? 1 : 0));
  }
  return predictedClasses(prediction);
}

/**
 * Running metrics over batches for one objective: accuracy for classification (and, with
 * `detailed`, the confusion matrix or per-label accuracy), mean absolute error for regression.
 */
export class MetricAccumulator {
  #count = 0;
  #correct = 0;
  #absError = 0;
  readonly #labelCorrect: Float64Array;
  readonly confusion: number[][] | null;

  readonly #objective: Objective;

  constructor(objective: Objective, detailed = false) {
    this.#objective = objective;
    const { task, classes, outputs } = objective;
    this.confusion = detailed && (task === "multiclass" || task === "binary")
      ? emptyConfusion(classes)
      : null;
    this.#labelCorrect = new Float64Array(task === "multilabel" ? outputs : 0);
  }

  /** Adds a batch: the loss's input `prediction`, the `target`, and class labels if any. */
  add(prediction: Tensor, target: Tensor, labels: Int32Array | null): void {
    const { task, fromLogits } = this.#objective;
    const rows = prediction.shape[0];
    if (task === "regression") {
      const p = prediction.data;
      const t = target.data;
      for (let i = 0; i < p.length; i++) this.#absError += Math.abs(p[i] - t[i]);
      this.#count += p.length;
      return;
    }
    if (task === "multilabel") {
      const threshold = fromLogits ? 0 : 0.5;
      const k = this.#labelCorrect.length;
      for (let i = 0; i < prediction.size; i++) {
        const hit = (prediction.data[i] > threshold) === (target.data[i] >= 0.5);
        if (hit) {
          this.#correct++;
          this.#labelCorrect[i % k]++;
        }
      }
      this.#count += prediction.size;
      return;
    }
    const predicted = predictLabels(this.#objective, prediction);
    const truth = labels as Int32Array;
    if (this.confusion !== null) {
      this.#correct += addToConfusion(this.confusion, truth, predicted);
    } else for (let i = 0; i < rows; i++) if (predicted[i] === truth[i]) this.#correct++;
    this.#count += rows;
  }

  /** Fraction correct (per sample; per label for multilabel); null for regression. */
  accuracy(): number | null {
    const { task } = this.#objective;
    return task === "regression" ? null : this.#correct / Math.max(1, this.#count);
  }

  /** Mean absolute error over every output; null for classification. */
  mae(): number | null {
    const { task } = this.#objective;
    return task === "regression" ? this.#absError / Math.max(1, this.#count) : null;
  }

  /** Accuracy per class (per label for multilabel); null for regression or without detail. */
  perClassAccuracy(): number[] | null {
    if (this.confusion !== null) return perClassAccuracy(this.confusion);
    if (this.#objective.task !== "multilabel") return null;
    const samples = this.#count / Math.max(1, this.#labelCorrect.length);
    return Array.from(this.#labelCorrect, (c) => c / Math.max(1, samples));
  }
}
