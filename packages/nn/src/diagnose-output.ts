// Detectors on the model's output: loss at the constant-predictor baseline, constant outputs,
// saturated sigmoid/tanh units.
import { baselineLoss } from "./diagnose-baseline.js";
import type { LayerProbe, Probe } from "./diagnose-probe.js";
import { type Finding, type ResolvedOptions, fmt, pct } from "./diagnose-types.js";

/** Largest spread (max − min over the batch) of any output column, and the largest |value|. */
export function outputSpread(out: { data: ArrayLike<number>; shape: readonly number[] }): {
  spread: number; scale: number;
} {
  const rows = out.shape[0] ?? 1;
  const cols = out.shape.length > 1 ? out.data.length / rows : 1;
  let spread = 0;
  let scale = 0;
  for (let j = 0; j < cols; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < rows; i++) {
      const v = out.data[i * cols + j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    spread = Math.max(spread, hi - lo);
    scale = Math.max(scale, Math.abs(lo), Math.abs(hi));
  }
  return { spread, scale };
}

/** Detector 1: the loss sits at the constant-predictor baseline; outputs don't vary. */
export function detectBaseline(probe: Probe, opts: ResolvedOptions): Finding[] {
  const findings: Finding[] = [];
  const last = probe.layers[probe.layers.length - 1];
  const batch = probe.x.shape[0] ?? 1;
  const { spread, scale } = outputSpread(probe.logits);
  const constant = batch >= 2 && spread <= 1e-6 * (1 + scale);
  if (constant) {
    findings.push({
      code: "constant-output", severity: "error", layer: last?.name, value: spread,
      message: `every one of the ${batch} samples gets the same output (largest spread of an ` +
        `output over the batch: ${fmt(spread)}); the model ignores its input`,
      cause: "nothing that depends on the input reaches the output: all-zero or identical " +
        "weights, or hidden units that are all dead, so only the biases move the output",
      fix: "initialise the weights randomly (He for ReLU/leaky ReLU, Glorot for sigmoid/tanh) " +
        "and check that the hidden activations are not all zero",
    });
  }
  if (probe.reduction === "none") return findings;
  const baseline = baselineLoss(probe.y, { loss: probe.lossKind, reduction: probe.reduction });
  const distance = Math.abs(probe.loss - baseline);
  if (distance <= opts.baselineTolerance * Math.max(1, baseline)) {
    findings.push({
      code: "loss-at-baseline", severity: constant ? "error" : "warning", layer: "loss",
      value: probe.loss,
      message: `the loss ${fmt(probe.loss)} equals the constant-predictor baseline ` +
        `${fmt(baseline)} (the best a model can do by predicting the label frequencies ` +
        "and ignoring the input)",
      cause: constant
        ? "the outputs are the same for every sample, so the model only learned the class " +
          "frequencies through its output biases"
        : "the model has not yet learned anything beyond the class frequencies; normal at " +
          "initialisation, a problem if the loss stays here",
      fix: constant
        ? "break the symmetry: random (He/Glorot) weight initialisation instead of zeros"
        : "if the loss stays at this value, check the other findings, the learning rate and " +
          "that inputs and labels are paired correctly",
    });
  }
  return findings;
}

const BOUNDS = { sigmoid: [0, 1], tanh: [-1, 1] } as const;

function saturatedFraction(layer: LayerProbe, eps: number): number {
  const [lo, hi] = BOUNDS[layer.activation as "sigmoid" | "tanh"];
  const d = layer.output.data;
  let count = 0;
  for (let i = 0; i < d.length; i++) if (d[i] - lo < eps || hi - d[i] < eps) count++;
  return count / Math.max(1, d.length);
}

/** Sigmoid outputs within eps of the wrong bound: confidently wrong, with a vanishing gradient. */
function wrongFraction(layer: LayerProbe, y: Probe["y"], eps: number): number {
  const d = layer.output.data;
  if (y.size !== d.length) return 0;
  let count = 0;
  for (let i = 0; i < d.length; i++) if (Math.abs(d[i] - y.data[i]) > 1 - eps) count++;
  return count / Math.max(1, d.length);
}

/** Detector 5: sigmoid/tanh units stuck within eps of their bounds. */
export function detectSaturation(probe: Probe, opts: ResolvedOptions): Finding[] {
  const findings: Finding[] = [];
  const lastIndex = probe.layers.length - 1;
  for (const layer of probe.layers) {
    if (layer.activation !== "sigmoid" && layer.activation !== "tanh") continue;
    const fix = "scale the weights down (Glorot initialisation), normalise the inputs, or use " +
      "leaky ReLU in hidden layers";
    if (layer.index < lastIndex) {
      const fraction = saturatedFraction(layer, opts.saturationEps);
      if (fraction < opts.saturatedFraction) continue;
      findings.push({
        code: "saturated-units", severity: "warning", layer: layer.name, value: fraction,
        message: `${pct(fraction)} of the ${layer.activation} outputs are within ` +
          `${opts.saturationEps} of their bounds; there the derivative is almost 0`,
        cause: "pre-activations are large: weights initialised too big or unnormalised inputs",
        fix,
      });
    } else if (layer.activation === "sigmoid") {
      const fraction = wrongFraction(layer, probe.y, opts.saturationEps);
      if (fraction < 0.01) continue;
      findings.push({
        code: "saturated-units", severity: "warning", layer: layer.name, value: fraction,
        message: `${pct(fraction)} of the sigmoid outputs are saturated at the wrong bound ` +
          `(within ${opts.saturationEps} of 1 − target)`,
        cause: "huge logits; with a clamped BCE on probabilities these get no gradient at all",
        fix: `${fix}; train on logits (bceWithLogits) so saturated outputs still get a gradient`,
      });
    }
  }
  return findings;
}
