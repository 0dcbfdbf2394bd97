// Text output of the CLI: a TTY progress bar, epoch lines, the confusion matrix, summaries.
import type { RunResult } from "./run.js";
import type { EpochRecord, Evaluation, StepInfo } from "./train.js";

/** Percent with two decimals: 0.97812 → "97.81%". */
export function percent(x: number | null): string {
  return x === null || Number.isNaN(x) ? "—" : `${(x * 100).toFixed(2)}%`;
}

/** Seconds as "12.3s" or "2m05s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, "0")}s`;
}

/** One plain line per epoch (used when output is not a terminal). */
export function epochLine(r: EpochRecord, epochs: number): string {
  return (
    `epoch ${r.epoch}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ` +
    `acc ${percent(r.trainAccuracy)}  ` +
    `val_loss ${r.validationLoss === null ? "—" : r.validationLoss.toFixed(4)}  ` +
    `val_acc ${percent(r.validationAccuracy)}  ${r.seconds.toFixed(1)}s  ` +
    `${Math.round(r.samplesPerSecond)} samples/s`
  );
}

/**
 * A one-line progress bar redrawn in place on a terminal stream, at most every 100 ms:
 * epoch, bar, running loss and accuracy, samples/s and the ETA of the whole run.
 */
export class ProgressBar {
  private last = 0;
  private readonly started = performance.now();
  private stepsDone = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly epochs: number,
    private readonly stepsPerEpoch: number,
    private readonly startEpoch: number,
  ) {}

  update(info: StepInfo): void {
    this.stepsDone++;
    const now = performance.now();
    if (now - this.last < 100 && info.batch !== info.batches) return;
    this.last = now;
    const width = 24;
    const filled = Math.round((width * info.batch) / info.batches);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const elapsed = (now - this.started) / 1000;
    const remaining = (this.epochs - info.epoch) * this.stepsPerEpoch + (info.batches - info.batch);
    const eta = (elapsed / this.stepsDone) * remaining;
    const rate = info.samples / Math.max(info.elapsedSeconds, 1e-9);
    const line =
      `epoch ${info.epoch}/${this.epochs} ${bar} ${info.batch}/${info.batches}  ` +
      `loss ${info.epochLoss.toFixed(4)}  acc ${percent(info.epochAccuracy)}  ` +
      `${Math.round(rate)} samples/s  ETA ${duration(eta)}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  /** Clears the bar line so an epoch line can be printed in its place. */
  clear(): void {
    this.stream.write("\r\x1b[K");
  }
}

/** The confusion matrix as a table: rows are true labels, columns predictions. */
export function confusionTable(confusion: number[][]): string {
  const width = Math.max(4, ...confusion.flat().map((v) => String(v).length + 1));
  const cell = (s: string | number): string => String(s).padStart(width);
  const header = `true\\pred${confusion.map((_, k) => cell(k)).join("")}`;
  const rows = confusion.map((row, k) => `${String(k).padStart(9)}${row.map(cell).join("")}`);
  return [header, ...rows].join("\n");
}

/** Accuracy, per-class accuracy and the confusion matrix of an evaluation. */
export function evaluationReport(name: string, e: Evaluation): string {
  const perClass = e.perClassAccuracy.map((a, k) => `${k}: ${percent(a)}`).join("  ");
  return [
    `${name} accuracy ${percent(e.accuracy)} (${Math.round(e.accuracy * e.count)}/${e.count}), ` +
      `loss ${e.loss.toFixed(4)} (constant predictor ${e.baselineLoss.toFixed(4)})`,
    `per class  ${perClass}`,
    "confusion matrix:",
    confusionTable(e.confusion),
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

/** The `--json` summary of a training run. */
export function trainSummary(result: RunResult, totalSeconds: number): Record<string, unknown> {
  const { secondsPerEpoch, samplesPerSecond } = throughput(result.history.epochs);
  const t = result.test;
  return {
    command: "train",
    config: result.config,
    epochs: result.history.epochs,
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
