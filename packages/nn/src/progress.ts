// Progress output for fit(): a redrawn one-line bar and one line per epoch, to any text sink.
import { checkOptions } from "@tapegrad/core";
import type { Callback, EpochRecord, StepInfo } from "./fit-types.js";

/**
 * Where text goes: anything with `write(text)` (process.stdout, a terminal widget, an array
 * collector). `columns` is the line width when known (a terminal's).
 */
export interface TextSink {
  write(text: string): unknown;
  readonly columns?: number;
}

/** Percent with two decimals: 0.97812 → "97.81%"; "—" for null or NaN. */
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

/**
 * One plain line per epoch: loss and accuracy (MAE for regression), the validation ones,
 * seconds and samples/s.
 */
export function epochLine(r: EpochRecord, epochs: number): string {
  const fixed = (v: number | null | undefined) => (v === null || v === undefined ? "—"
    : v.toFixed(4));
  const metric = r.trainMae === undefined
    ? `acc ${percent(r.trainAccuracy)}  `
    : `mae ${fixed(r.trainMae)}  `;
  const validation = r.trainMae === undefined
    ? `val_acc ${percent(r.validationAccuracy)}  `
    : `val_mae ${fixed(r.validationMae)}  `;
  return (
    `epoch ${r.epoch}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ${metric}` +
    `val_loss ${fixed(r.validationLoss)}  ${validation}${r.seconds.toFixed(1)}s  ` +
    `${Math.round(r.samplesPerSecond)} samples/s`
  );
}

/**
 * A one-line progress bar redrawn in place on a terminal, at most every 100 ms: epoch, bar,
 * running loss and accuracy, samples/s and the ETA of the whole run.
 */
export class ProgressBar {
  private last = 0;
  private readonly started = performance.now();
  private stepsDone = 0;

  constructor(
    private readonly sink: TextSink,
    private readonly epochs: number,
    private readonly stepsPerEpoch: number,
  ) {}

  /** Redraws the bar for this step (skipped when the last draw was under 100 ms ago). */
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
    const metric = info.epochAccuracy === null ? "" : `  acc ${percent(info.epochAccuracy)}`;
    const line =
      `epoch ${info.epoch}/${this.epochs} ${bar} ${info.batch}/${info.batches}  ` +
      `loss ${info.epochLoss.toFixed(4)}${metric}  ` +
      `${Math.round(rate)} samples/s  ETA ${duration(eta)}`;
    const columns = this.sink.columns ?? 120;
    this.sink.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  /** Clears the bar line so other text can be printed in its place. */
  clear(): void {
    this.sink.write("\r\x1b[K");
  }
}

/** Options of {@link progress}: where the bar and the epoch lines go (either may be left out). */
export interface ProgressOptions {
  /** A terminal to redraw the bar on (e.g. process.stderr when it is a TTY). */
  readonly bar?: TextSink;
  /** Where one line per epoch is written (e.g. process.stdout). */
  readonly lines?: TextSink;
}

/** The progress callback; `clear()` wipes the bar before other output (warnings, say). */
export interface ProgressCallback extends Callback {
  clear(): void;
}

/**
 * Progress of fit() as text: a bar redrawn on `bar` every step, and `epochLine` on `lines`
 * after every epoch.
 * @example fit(model, data, { callbacks: [progress({ lines: process.stdout })] })
 */
export function progress(options: ProgressOptions = {}): ProgressCallback {
  const { bar: barSink, lines } = checkOptions("progress", options, ["bar", "lines"]);
  let bar: ProgressBar | undefined;
  let epochs = 0;
  return {
    onTrainBegin(run) {
      epochs = run.epochs;
      if (barSink !== undefined) bar = new ProgressBar(barSink, run.epochs, run.stepsPerEpoch);
    },
    onStep(info) {
      bar?.update(info);
    },
    onEpochEnd(record) {
      bar?.clear();
      lines?.write(`${epochLine(record, epochs)}\n`);
    },
    clear() {
      bar?.clear();
    },
  };
}
