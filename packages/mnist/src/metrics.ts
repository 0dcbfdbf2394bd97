// Classification metrics: accuracy from logits, the confusion matrix, constant-predictor baselines.
import type { Tensor } from "@tapegrad/core";

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
