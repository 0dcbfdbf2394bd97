// diagnose(): why a network does not learn, from one forward/backward pass on a batch.
import { ShapeError, Tensor, checkOptions, oneHot } from "@tapegrad/core";
import {
  anomalyFinding, detectInputs, detectNonFiniteData, probeIsFinite,
} from "./diagnose-inputs.js";
import { detectBaseline, detectSaturation } from "./diagnose-output.js";
import { locateAnomaly, runProbe } from "./diagnose-probe.js";
import {
  DEFAULTS, type DiagnoseOptions, type Finding, type ResolvedOptions, type Severity, fmt,
} from "./diagnose-types.js";
import {
  detectDeadUnits, detectGradientScale, detectInit, detectWeightGradZero,
} from "./diagnose-weights.js";
import { type LossName, resolveObjective, targetKindOf } from "./objective.js";
import { outputSizeOf } from "./model-shape.js";
import type { Sequential } from "./sequential.js";
import { describeInput } from "./describe.js";

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

const OPTION_KEYS = ["loss", "reduction", "learningRate", ...Object.keys(DEFAULTS)];

function resolve(model: Sequential, y: Tensor, options: DiagnoseOptions): ResolvedOptions {
  checkOptions("diagnose", options, OPTION_KEYS);
  const { loss, reduction } = resolveObjective(model,
    { loss: options.loss, reduction: options.reduction }, targetKindOf(y), "diagnose");
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULTS, ...defined, loss, reduction };
}

/** The batch's tensors, checked: a Tensor each, one row of y per sample of x. */
function checkBatch(batch: unknown): { x: Tensor; y: Tensor } {
  if (typeof batch !== "object" || batch === null || !("x" in batch) || !("y" in batch)) {
    throw new TypeError("diagnose: batch must be { x, y } (tensors)");
  }
  const { x, y } = batch as { x: unknown; y: unknown };
  for (const [name, value] of [["x", x], ["y", y]] as const) {
    if (!(value instanceof Tensor)) {
      throw new TypeError(`diagnose: batch.${name} must be a Tensor; got ${describeInput(value)}`);
    }
  }
  const [xt, yt] = [x as Tensor, y as Tensor];
  if (xt.rank === 0 || yt.rank === 0 || yt.shape[0] !== xt.shape[0]) {
    throw new ShapeError(`diagnose: batch.y has ${yt.rank === 0 ? 0 : yt.shape[0]} rows for ` +
      `the ${xt.rank === 0 ? 0 : xt.shape[0]} samples of batch.x`);
  }
  return { x: xt, y: yt };
}

/**
 * y as the loss takes it, as fit turns targets into it: [batch] class labels (several
 * outputs) are checked and become one-hot rows for BCE (cross-entropy takes them as they
 * are); a value per sample (one output) becomes the [batch, 1] column.
 */
function targetsForLoss(model: Sequential, y: Tensor, loss: LossName): Tensor {
  if (y.rank !== 1) return y;
  const outputs = outputSizeOf(model, "diagnose");
  if (outputs === 1) return y.reshape([y.shape[0], 1]);
  y.data.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= outputs) {
      throw new RangeError(`diagnose: batch.y[${i}] is ${label}; class labels must be ` +
        `integers in [0, ${outputs})`);
    }
  });
  return loss === "crossEntropy" ? y : oneHot(Int32Array.from(y.data), outputs, y.dtype);
}

/**
 * Runs the model once forward and backward on `batch` and reports why it may not learn:
 * loss at the constant-predictor baseline and constant outputs, zero or symmetric
 * initialisation, weight gradients stuck at 0 while biases learn, dead ReLU units,
 * saturated sigmoid/tanh units, vanishing/exploding gradients and the update/weight ratio,
 * unnormalised or constant inputs, and NaN/Inf with the first op that produced it.
 * Parameters and their `.grad` are left as they were. `batch.x` is [batch, inputSize];
 * `batch.y` the targets as fit takes them: [batch] class labels, one-hot rows, or values
 * ([batch, outputs], or [batch] for one output). Findings come errors first.
 * @example
 * const findings = diagnose(model, { x, y }, { learningRate: 0.1 });
 * console.log(formatFindings(findings));
 */
export function diagnose(
  model: Sequential, batch: { x: Tensor; y: Tensor }, options: DiagnoseOptions = {},
): Finding[] {
  const { x, y: given } = checkBatch(batch);
  const opts = resolve(model, given, options);
  const y = targetsForLoss(model, given, opts.loss);
  const findings = [...detectNonFiniteData(model, x, y), ...detectInputs(x, opts)];
  const probe = runProbe(model, x, y, opts.loss, opts.reduction);
  if (!probeIsFinite(probe)) {
    if (findings.every((f) => f.code !== "non-finite")) {
      findings.push(anomalyFinding(probe, locateAnomaly(model, x, y, opts.loss, opts.reduction)));
    }
    findings.push(...detectInit(probe));
  } else {
    findings.push(
      ...detectBaseline(probe, opts),
      ...detectInit(probe),
      ...detectWeightGradZero(probe),
      ...detectDeadUnits(probe, opts),
      ...detectSaturation(probe, opts),
      ...detectGradientScale(probe, opts),
    );
  }
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

function wrap(text: string, indent: string, width = 96): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join("\n");
}

/**
 * Findings as plain text for a terminal, one block per finding:
 * `ERROR zero-weights [layers.0] value 0`, then the message, cause and fix, wrapped.
 */
export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return "no problems found";
  return findings.map((f) => {
    const head = `${f.severity.toUpperCase()} ${f.code}${f.layer ? ` [${f.layer}]` : ""} ` +
      `value ${fmt(f.value)}`;
    return [
      head,
      wrap(f.message, "  "),
      wrap(`cause: ${f.cause}`, "  "),
      wrap(`fix: ${f.fix}`, "  "),
    ].join("\n");
  }).join("\n\n");
}

export {
  baselineLoss, frequencyBaseline, targetMeans, type BaselineOptions,
} from "./diagnose-baseline.js";
export type {
  DiagnoseOptions, Finding, FindingCode, Severity,
} from "./diagnose-types.js";
