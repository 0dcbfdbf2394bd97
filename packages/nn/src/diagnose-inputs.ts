// Detectors on the data and on numerics: unnormalised or constant inputs, NaN/Inf anywhere.
import type { Tensor } from "@tapegrad/core";
import type { AnomalySite, Probe } from "./diagnose-probe.js";
import { type Finding, type ResolvedOptions, fmt } from "./diagnose-types.js";
import type { Sequential } from "./sequential.js";

/** Detector 7: inputs far outside a unit range (raw 0–255 pixels) and constant features. */
export function detectInputs(x: Tensor, opts: ResolvedOptions): Finding[] {
  const findings: Finding[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  // Over the finite values: NaN/Inf are reported as non-finite data, not as a large range.
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (lo <= hi && magnitude > opts.maxInputMagnitude) {
    findings.push({
      code: "unnormalised-input", severity: "warning", layer: "input", value: magnitude,
      message: `the inputs range over [${fmt(lo)}, ${fmt(hi)}] (largest magnitude ` +
        `${fmt(magnitude)}); networks train best on inputs of order 1`,
      cause: "raw features, e.g. pixels stored as 0–255, were fed in without scaling",
      fix: hi <= 255 && lo >= 0
        ? "divide pixel values by 255 (or standardise to mean 0, std 1)"
        : "standardise each feature to mean 0 and standard deviation 1",
    });
  }
  const rows = x.shape[0] ?? 1;
  if (x.rank !== 2 || rows < 2) return findings;
  const cols = x.shape[1];
  let constant = 0;
  for (let j = 0; j < cols; j++) {
    let same = true;
    for (let i = 1; i < rows && same; i++) same = x.data[i * cols + j] === x.data[j];
    if (same) constant++;
  }
  if (constant === 0) return findings;
  const all = constant === cols;
  findings.push({
    code: "constant-features", severity: all ? "error" : "info", layer: "input",
    value: constant,
    message: `${constant} of ${cols} input features are constant over the batch of ${rows}` +
      (all ? ": every sample looks the same to the model" : " and carry no information"),
    cause: all
      ? "the batch was built wrongly (e.g. one sample repeated, or all zeros)"
      : "features that never vary here, e.g. MNIST's blank border pixels; harmless unless many",
    fix: all ? "check the data loading and batching" : "nothing needed; they can be dropped",
  });
  return findings;
}

function countNonFinite(t: Tensor | null): number {
  if (t === null) return 0;
  let count = 0;
  for (let i = 0; i < t.size; i++) if (!Number.isFinite(t.data[i])) count++;
  return count;
}

/** True when the loss, an activation or a gradient of the probe holds NaN/Inf. */
export function probeIsFinite(probe: Probe): boolean {
  if (!Number.isFinite(probe.loss)) return false;
  return probe.layers.every((l) =>
    countNonFinite(l.output) + countNonFinite(l.weightGrad) + countNonFinite(l.biasGrad) === 0);
}

function nonFinite(
  layer: string, value: number, message: string, cause: string, fix: string,
): Finding {
  return { code: "non-finite", severity: "error", layer, value, message, cause, fix };
}

/** The first non-finite value of a [batch, ...] tensor: its row and its index within the row. */
function firstNonFinite(t: Tensor): { row: number; feature: number } {
  let i = 0;
  while (Number.isFinite(t.data[i])) i++;
  const width = t.size / Math.max(1, t.shape[0] ?? 1);
  const row = Math.floor(i / width);
  return { row, feature: i - row * width };
}

/**
 * Non-finite values already present in the batch or in the parameters. NaN/Inf in the batch
 * is named as the cause: every value computed from it (outputs, loss, gradients) is NaN too.
 */
export function detectNonFiniteData(model: Sequential, x: Tensor, y: Tensor): Finding[] {
  const findings: Finding[] = [];
  const badX = countNonFinite(x);
  const badY = countNonFinite(y);
  const corrupt = badX > 0 ? "input" : badY > 0 ? "target" : null;
  if (corrupt !== null) {
    const t = corrupt === "input" ? x : y;
    const count = corrupt === "input" ? badX : badY;
    const { row, feature } = firstNonFinite(t);
    findings.push(nonFinite("input", badX + badY,
      `the batch's ${corrupt} holds ${count} NaN/Inf value${count === 1 ? "" : "s"}, the ` +
        `first in row ${row}, feature ${feature}: this is the cause of any NaN in the loss, ` +
        "the gradients and (after an update) the weights",
      "the data itself is corrupt (a missing value, a division by zero in preprocessing, a " +
        "bad file); one such sample makes every gradient it touches NaN",
      `remove or repair row ${row} (and any other non-finite rows); check the normalisation ` +
        "for a zero standard deviation"));
  }
  for (const [name, p] of model.namedParameters()) {
    const bad = countNonFinite(p);
    if (bad === 0) continue;
    findings.push(nonFinite(name.replace(/\.(weight|bias)$/, ""), bad,
      `parameter ${name} holds ${bad} NaN/Inf values`,
      corrupt !== null
        ? `an update computed from a batch with NaN/Inf ${corrupt}s (as this one) made them ` +
          "NaN; the weights are not the cause"
        : "an earlier training step diverged (learning rate too high), a batch with NaN/Inf " +
          "inputs reached the weights, or they were loaded from a corrupt file",
      "restart from a finite checkpoint" + (corrupt !== null ? " after cleaning the data"
        : "; if the data is clean, lower the learning rate or clip gradients")));
  }
  return findings;
}

/** Detector 8: NaN/Inf produced on the way, with the first op that produced it. */
export function anomalyFinding(probe: Probe, site: AnomalySite | null): Finding {
  if (site === null) {
    return nonFinite("loss", probe.loss, `the loss is ${probe.loss} or a gradient is not finite`,
      "an overflow that anomaly mode could not pin to one op",
      "lower the learning rate, normalise inputs, train on logits");
  }
  const where = site.phase === "forward" ? `the forward pass of ${site.layer}` : "backward";
  return nonFinite(site.layer, probe.loss,
    `the first NaN/Inf comes from op "${site.op}" in ${where} (loss ${probe.loss}): ` +
      site.message,
    site.op === "log" || site.op === "div"
      ? `"${site.op}" of 0 or of a negative number (probabilities that reached exactly 0 or 1)`
      : `"${site.op}" overflowed: values too large (diverging weights or unnormalised inputs)`,
    "train on logits (bceWithLogits / crossEntropy on logits), normalise the inputs and lower " +
      "the learning rate");
}
