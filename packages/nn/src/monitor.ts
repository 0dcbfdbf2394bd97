// TrainingMonitor: watches the loss during training (plateaus, the baseline, NaN) and runs
// diagnose() at chosen points.
import { type Tensor, checkOptions } from "@tapegrad/core";
import { diagnose } from "./diagnose.js";
import { type DiagnoseOptions, type Finding, fmt } from "./diagnose-types.js";
import { nonFiniteFinding } from "./finite.js";
import type { Sequential } from "./sequential.js";

/** Options of a TrainingMonitor; every field is optional. */
export interface MonitorOptions {
  /** The constant-predictor loss (see baselineLoss); a plateau there is an error. */
  readonly baseline?: number;
  /** Number of recent losses a plateau is judged on (default 10). */
  readonly window?: number;
  /** A window whose (max − min) / |mean| is below this is a plateau (default 1e-3). */
  readonly plateauTolerance?: number;
  /** Relative distance to the baseline that counts as "at the baseline" (default 5e-3). */
  readonly baselineTolerance?: number;
  /** A model and a fixed batch to diagnose: on the first plateau or NaN, and at `diagnoseAt`. */
  readonly probe?: {
    readonly model: Sequential;
    readonly batch: { x: Tensor; y: Tensor };
    readonly options?: DiagnoseOptions;
  };
  /** Also diagnose at these steps (counted from 1 as `step()` is called). */
  readonly diagnoseAt?: readonly number[] | ((step: number) => boolean);
  /** Called once for every new finding (e.g. to print a warning). */
  readonly onFinding?: (finding: Finding) => void;
}

const MONITOR_KEYS = [
  "baseline", "window", "plateauTolerance", "baselineTolerance", "probe", "diagnoseAt",
  "onFinding",
];

/**
 * What a training step leaves for {@link TrainingMonitor.step} to check beyond the loss: the
 * named parameters (with their `.grad` from this step) and the batch it trained on.
 */
export interface StepState {
  /** `model.namedParameters()`: gradients and values are checked for NaN/Inf. */
  readonly parameters: ReadonlyArray<readonly [string, Tensor]>;
  /** The minibatch (inputs, and targets in the loss's form): named when it holds NaN/Inf. */
  readonly input?: Tensor;
  readonly target?: Tensor;
  /** Which samples of the data set the batch's rows are (for the message). */
  readonly rows?: ArrayLike<number>;
}

/**
 * Watches a training run. Call `step(loss)` after every optimizer step (and/or
 * `epoch(loss)` after every epoch); each returns the findings that are new. It reports a
 * NaN/Inf loss, a plateau, and a plateau at the constant-predictor baseline ("the model
 * ignores its input"), and with a `probe` runs diagnose() when one appears. Given the step's
 * parameters (`step(loss, { parameters, input })`) it reports the first NaN/Inf gradient or
 * parameter at that step, naming it, and the batch when the data holds NaN. After a
 * non-finite value, plateaus are not reported (a NaN network can look converged). Each
 * finding is reported once (by code and layer).
 * @example
 * const monitor = new TrainingMonitor({ baseline, probe: { model, batch }, onFinding: warn });
 * for (...) { ...; optimizer.step(); monitor.step(loss); }
 */
export class TrainingMonitor {
  /** Losses passed to step(), in order. */
  readonly history: number[] = [];
  /** Losses passed to epoch(), in order. */
  readonly epochHistory: number[] = [];
  /** Every finding reported so far, in order. */
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly options: MonitorOptions;
  private diagnosed = false;
  private epochsAtBaseline = 0;
  private nonFinite = false;

  constructor(options: MonitorOptions = {}) {
    checkOptions("TrainingMonitor", options, MONITOR_KEYS);
    if (options.probe !== undefined) {
      checkOptions("TrainingMonitor: probe", options.probe, ["model", "batch", "options"]);
    }
    const window = options.window ?? 10;
    if (!Number.isInteger(window) || window < 2) {
      throw new RangeError(`TrainingMonitor: window must be an integer ≥ 2; got ${window}`);
    }
    this.options = options;
  }

  /**
   * Records one step's loss (a number or a scalar tensor) and, with `state`, checks its
   * gradients and parameters; returns the new findings.
   */
  step(loss: number | Tensor, state?: StepState): Finding[] {
    const value = typeof loss === "number" ? loss : loss.item();
    if (state !== undefined) {
      checkOptions("TrainingMonitor.step", state, ["parameters", "input", "target", "rows"]);
    }
    this.history.push(value);
    const first = state === undefined || this.nonFinite ? null : nonFiniteFinding({
      phase: "update", position: { step: this.history.length }, loss: value,
      parameters: state.parameters, input: state.input, target: state.target, rows: state.rows,
    });
    const found = first !== null ? this.record([first]) : this.check(this.history, "step");
    const at = this.options.diagnoseAt;
    const step = this.history.length;
    const scheduled = typeof at === "function" ? at(step) : (at?.includes(step) ?? false);
    // A finding that names the data as the cause needs no diagnosis of the probe batch.
    const explained = first !== null && first.cause.startsWith("the data");
    if (scheduled || (found.length > 0 && !this.diagnosed && !explained)) {
      found.push(...this.diagnose());
    }
    return found;
  }

  /** Records one epoch's (mean) loss; returns the new findings. */
  epoch(loss: number | Tensor): Finding[] {
    this.epochHistory.push(typeof loss === "number" ? loss : loss.item());
    const found = this.check(this.epochHistory, "epoch");
    if (found.length > 0 && !this.diagnosed) found.push(...this.diagnose());
    return found;
  }

  /**
   * Records an epoch's mean training loss with the training data's constant-predictor
   * `baseline` (fit's `run.baseline`; the `baseline` option wins when given): the loss within
   * `baselineTolerance` (default here 1e-3) of the baseline, relative to it, two epochs in a row
   * is reported as loss-at-baseline, and the probe (if any) diagnosed. Whole-epoch means are
   * steady enough to judge where minibatch losses are not. Returns the new findings.
   */
  baselineEpoch(loss: number, baseline: number): Finding[] {
    const reference = this.options.baseline ?? baseline;
    // Relative to the baseline itself: a small baseline (a regression's variance, rare
    // positives) leaves a learning model close to it in absolute terms.
    const tolerance = (this.options.baselineTolerance ?? 1e-3) * Math.abs(reference);
    const at = Number.isFinite(loss) && Math.abs(loss - reference) <= tolerance;
    this.epochsAtBaseline = at ? this.epochsAtBaseline + 1 : 0;
    if (this.epochsAtBaseline < 2 || this.nonFinite) return [];
    const found = this.report([atBaseline(loss, reference,
      `is ${fmt(loss)} over a whole epoch, ${this.epochsAtBaseline} epochs in a row`)]);
    if (found.length > 0 && !this.diagnosed) found.push(...this.diagnose());
    return found;
  }

  /** True once a plateau (anywhere) has been reported. */
  get plateaued(): boolean {
    return this.findings.some((f) => f.code === "plateau" || f.code === "loss-at-baseline");
  }

  /** Runs diagnose() on the probe now (no-op without a probe); returns the new findings. */
  diagnose(): Finding[] {
    const probe = this.options.probe;
    if (!probe) return [];
    this.diagnosed = true;
    return this.report(diagnose(probe.model, probe.batch, probe.options));
  }

  /**
   * Adds findings made elsewhere (fit's first non-finite value, say): each new one (by code
   * and layer) is kept, passed to onFinding and returned.
   */
  record(findings: readonly Finding[]): Finding[] {
    return this.report(findings);
  }

  private report(findings: readonly Finding[]): Finding[] {
    const fresh: Finding[] = [];
    for (const f of findings) {
      if (f.code === "non-finite") this.nonFinite = true;
      const key = `${f.code}@${f.layer ?? ""}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.findings.push(f);
      fresh.push(f);
      this.options.onFinding?.(f);
    }
    return fresh;
  }

  private check(history: readonly number[], unit: "step" | "epoch"): Finding[] {
    const latest = history[history.length - 1];
    if (this.nonFinite) return [];
    if (!Number.isFinite(latest)) {
      return this.report([{
        code: "non-finite", severity: "error", layer: "loss", value: latest,
        message: `the loss became ${latest} at ${unit} ${history.length}`,
        cause: "the training diverged (learning rate too high) or log/div saw 0",
        fix: "run diagnose() (it names the first op producing NaN/Inf), lower the learning " +
          "rate, and compute the loss from logits",
      }]);
    }
    const window = this.options.window ?? 10;
    if (history.length < window) return [];
    const recent = history.slice(-window);
    const mean = recent.reduce((a, b) => a + b, 0) / window;
    const spread = Math.max(...recent) - Math.min(...recent);
    if (spread > (this.options.plateauTolerance ?? 1e-3) * Math.abs(mean)) return [];
    const baseline = this.options.baseline;
    const tolerance = (this.options.baselineTolerance ?? 5e-3) * Math.max(1, baseline ?? 0);
    const where = `over the last ${window} ${unit}s (at ${unit} ${history.length})`;
    if (baseline !== undefined && Math.abs(mean - baseline) <= tolerance) {
      return this.report([atBaseline(mean, baseline, `is stuck at ${fmt(mean)} ${where}`)]);
    }
    return this.report([{
      code: "plateau", severity: "warning", layer: "loss", value: mean,
      message: `the loss has stopped changing at ${fmt(mean)} ${where} (spread ${fmt(spread)})`,
      cause: "converged, a learning rate too small to make progress, or saturated/dead units",
      fix: "if the accuracy is not good enough: raise the learning rate or check diagnose()",
    }]);
  }
}

/** The loss-at-baseline finding: the loss `where` (e.g. "is stuck at 2.30 over …"). */
function atBaseline(value: number, baseline: number, where: string): Finding {
  return {
    code: "loss-at-baseline", severity: "error", layer: "loss", value,
    message: `the loss ${where}, the constant-predictor baseline ${fmt(baseline)}: the model ` +
      "predicts the label frequencies (or the targets' mean) and ignores its input",
    cause: "nothing input-dependent reaches the output: zero or symmetric weights, dead " +
      "hidden layers, inputs not paired with their labels, or a learning rate too small to move",
    fix: "random (He/Glorot) initialisation; run diagnose() on a batch for the layer at fault",
  };
}
