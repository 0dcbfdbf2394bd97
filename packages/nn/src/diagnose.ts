// diagnose(): why a network does not learn, from one forward/backward pass on a batch.
import type { Tensor } from "@tapegrad/core";
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
import { resolveObjective, targetKindOf } from "./objective.js";
import type { Sequential } from "./sequential.js";

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function resolve(model: Sequential, y: Tensor, options: DiagnoseOptions): ResolvedOptions {
  const { loss, reduction } = resolveObjective(model,
    { loss: options.loss, reduction: options.reduction }, targetKindOf(y), "diagnose");
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULTS, ...defined, loss, reduction };
}

/**
 * Runs the model once forward and backward on `batch` and reports why it may not learn:
 * loss at the constant-predictor baseline and constant outputs, zero or symmetric
 * initialisation, weight gradients stuck at 0 while biases learn, dead ReLU units,
 * saturated sigmoid/tanh units, vanishing/exploding gradients and the update/weight ratio,
 * unnormalised or constant inputs, and NaN/Inf with the first op that produced it.
 * Parameters and their `.grad` are left as they were. `batch.x` is [batch, inputSize];
 * `batch.y` the targets the loss takes ([batch, classes], or [batch] labels for
 * cross-entropy). Findings come errors first.
 * @example
 * const findings = diagnose(model, { x, y }, { learningRate: 0.1 });
 * console.log(formatFindings(findings));
 */
export function diagnose(
  model: Sequential, batch: { x: Tensor; y: Tensor }, options: DiagnoseOptions = {},
): Finding[] {
  const { x, y } = batch;
  const opts = resolve(model, y, options);
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
