// Text output of the CLI besides fit's progress: the confusion matrix, evaluations, summaries.
import { type EpochRecord, type Evaluation, percent } from "@tapegrad/nn";
import type { RunResult } from "./run.js";

/** The confusion matrix as a table: rows are true labels, columns predictions. */
export function confusionTable(confusion: number[][]): string {
  const width = Math.max(4, ...confusion.flat().map((v) => String(v).length + 1));
  const cell = (s: string | number): string => String(s).padStart(width);
  const header = `true\\pred${confusion.map((_, k) => cell(k)).join("")}`;
  const rows = confusion.map((row, k) => `${String(k).padStart(9)}${row.map(cell).join("")}`);
  return [header, ...rows].join("\n");
}

/** Accuracy, per-class accuracy and the confusion matrix of a classifier's evaluation. */
export function evaluationReport(name: string, e: Evaluation): string {
  const accuracy = e.accuracy ?? Number.NaN;
  const perClass = (e.perClassAccuracy ?? []).map((a, k) => `${k}: ${percent(a)}`).join("  ");
  return [
    `${name} accuracy ${percent(accuracy)} (${Math.round(accuracy * e.count)}/${e.count}), ` +
      `loss ${e.loss.toFixed(4)} (constant predictor ${e.baselineLoss.toFixed(4)})`,
    `per class  ${perClass}`,
    "confusion matrix:",
    confusionTable(e.confusion ?? []),
  ].join("\n");
}

/** Mean seconds per epoch and samples per second over the epochs of a run. */
export function throughput(
  epochs: readonly EpochRecord[],
): { secondsPerEpoch: number; samplesPerSecond: number } {
  if (epochs.length === 0) return { secondsPerEpoch: 0, samplesPerSecond: 0 };
  const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const samples = epochs.reduce((s, e) => s + e.samplesPerSecond * e.seconds, 0);
  return { secondsPerEpoch: seconds / epochs.length, samplesPerSecond: samples / seconds };
}

/**
 * The `--json` summary of a training run; its speed is that of the epochs this run trained
 * (a resumed run's earlier epochs are in `epochs` but not in the speed).
 */
export function trainSummary(result: RunResult, totalSeconds: number): Record<string, unknown> {
  const trained = result.history.epochs.slice(result.startEpoch);
  const { secondsPerEpoch, samplesPerSecond } = throughput(trained);
  const t = result.test;
  return {
    command: "train",
    config: result.config,
    epochs: result.history.epochs,
    resumedAfter: result.startEpoch > 0 ? result.startEpoch : null,
    test: {
      accuracy: t.accuracy, loss: t.loss, count: t.count,
      perClassAccuracy: t.perClassAccuracy, confusion: t.confusion,
    },
    baselineLoss: result.baselineLoss,
    secondsPerEpoch,
    samplesPerSecond,
    totalSeconds,
    checkpoint: result.checkpointDir ?? null,
    svg: result.svgPath ?? null,
    findings: result.findings,
  };
}
