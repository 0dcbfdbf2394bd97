// Detectors on weights and gradients: zero/symmetric init, weight gradients stuck at zero,
// dead ReLU units, vanishing/exploding gradients and the update/weight ratio.
import type { Tensor } from "@tapegrad/core";
import type { LayerProbe, Probe } from "./diagnose-probe.js";
import { type Finding, type ResolvedOptions, fmt, pct } from "./diagnose-types.js";

function allZero(t: Tensor | null): boolean {
  if (t === null) return true;
  for (let i = 0; i < t.size; i++) if (t.data[i] !== 0) return false;
  return true;
}

function norm(t: Tensor | null): number {
  if (t === null) return 0;
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i] * t.data[i];
  return Math.sqrt(s);
}

function describe(layer: LayerProbe): string {
  const d = layer.dense;
  if (!d) return layer.name;
  return `${layer.name} (Dense ${d.inputSize}→${d.outputSize}, ${layer.activation})`;
}

/** How many units (weight columns) share incoming weights, bias and outgoing weights. */
function duplicateUnits(layer: LayerProbe, next: LayerProbe | undefined): number {
  const dense = layer.dense;
  if (!dense || !next?.dense) return 0;
  const { inputSize: n, outputSize: m } = dense;
  const w = dense.weight.data;
  const out = next.dense.weight.data;
  const k = next.dense.outputSize;
  const groups = new Map<string, number>();
  for (let j = 0; j < m; j++) {
    const parts: number[] = [];
    for (let i = 0; i < n; i++) parts.push(w[i * m + j]);
    parts.push(dense.bias ? dense.bias.data[j] : 0);
    for (let c = 0; c < k; c++) parts.push(out[j * k + c]);
    const key = parts.join(",");
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  let duplicated = 0;
  for (const count of groups.values()) if (count > 1) duplicated += count;
  return duplicated;
}

/** The next layer holding weights after `index`, unless a non-activation module intervenes. */
function nextDense(layers: readonly LayerProbe[], index: number): LayerProbe | undefined {
  for (const layer of layers.slice(index + 1)) {
    if (layer.dense) return layer;
    if (layer.activation === "other") return undefined;
  }
  return undefined;
}

/** Detector 2: all-zero weights; hidden units identical in and out, which can never differ. */
export function detectInit(probe: Probe): Finding[] {
  const findings: Finding[] = [];
  for (const layer of probe.layers) {
    if (!layer.dense) {
      // Other layers with weights (convolutions, embeddings, a normalisation's scale): an
      // all-zero weight is the same mistake; a normalisation's scale starts at 1.
      if (layer.weight !== null && layer.weight.size > 0 && allZero(layer.weight)) {
        const norm = /Norm/.test(layer.kind);
        findings.push({
          code: "zero-weights", severity: "error", layer: layer.name, value: 0,
          message: `every weight of ${layer.name} (${layer.kind}) is exactly 0 ` +
            "(largest |w| = 0)",
          cause: "zero initialisation: the layer's output does not depend on its input, so " +
            "nothing after it can tell the samples apart",
          fix: norm ? "a normalisation layer's scale (weight) starts at ones, as it is built"
            : "initialise weights randomly: heNormal for ReLU/leaky ReLU, glorotUniform for " +
              "sigmoid/tanh; zeros are fine for biases only",
        });
      }
      continue;
    }
    if (allZero(layer.dense.weight)) {
      findings.push({
        code: "zero-weights", severity: "error", layer: layer.name, value: 0,
        message: `every weight of ${describe(layer)} is exactly 0 (largest |w| = 0)`,
        cause: "zero initialisation: the layer's output does not depend on its input, and the " +
          "layers around it receive zero activations or zero gradients, so it stays at 0",
        fix: "initialise weights randomly: heNormal for ReLU/leaky ReLU, glorotUniform for " +
          "sigmoid/tanh; zeros are fine for biases only",
      });
      continue;
    }
    const units = layer.dense.outputSize;
    const duplicated = duplicateUnits(layer, nextDense(probe.layers, layer.index));
    if (duplicated === 0) continue;
    const fraction = duplicated / units;
    findings.push({
      code: "symmetric-units", severity: duplicated === units ? "error" : "warning",
      layer: layer.name, value: fraction,
      message: `${duplicated} of the ${units} units of ${describe(layer)} (${pct(fraction)}) ` +
        "have the same incoming and outgoing weights as another unit; they compute the same " +
        "value, get the same gradient and can never become different",
      cause: "constant initialisation (every weight the same value) gives no symmetry breaking",
      fix: "draw the initial weights at random (heNormal / glorotUniform) with a seed",
    });
  }
  return findings;
}

/** Detector 3 (the seed's signature): weight gradients exactly 0 while bias gradients are not. */
export function detectWeightGradZero(probe: Probe): Finding[] {
  const findings: Finding[] = [];
  for (const layer of probe.layers) {
    if (!layer.dense?.bias || !allZero(layer.weightGrad) || allZero(layer.biasGrad)) continue;
    const inputZero = allZero(layer.input);
    findings.push({
      code: "weight-grad-zero", severity: "error", layer: layer.name, value: 0,
      message: `the weight gradient of ${describe(layer)} is exactly 0 while its bias ` +
        `gradient is not (‖∂L/∂b‖ = ${fmt(norm(layer.biasGrad))}): only the biases learn`,
      cause: inputZero
        ? "its input activations are all exactly 0 (the layers before it have zero weights " +
          "or dead units), and ∂L/∂W = inputᵀ·∂L/∂z vanishes while " +
          "∂L/∂b = Σ ∂L/∂z does not"
        : "the gradient reaching this layer cancels in inputᵀ·∂L/∂z but not in Σ ∂L/∂z",
      fix: "give the earlier layers random weights (heNormal) so their activations are nonzero",
    });
  }
  return findings;
}

/** Whether every element of `t` is ≥ 0 (a ReLU's, a pool's or pixels' output). */
function nonNegative(t: Tensor): boolean {
  for (let i = 0; i < t.size; i++) if (!(t.data[i] >= 0)) return false;
  return true;
}

/**
 * Why some (not all) units are dead, from what the layer shows: a unit whose weighted input
 * w·x (its pre-activation minus its bias) is positive on some sample is held down by its bias.
 */
function partlyDeadCause(layer: LayerProbe, dead: readonly number[], top: Float64Array): string {
  const bias = layer.dense?.bias;
  const byBias = bias ? dead.filter((j) => top[j] - bias.data[j] > 0) : [];
  if (bias && byBias.length > dead.length / 2) {
    const lowest = Math.min(...byBias.map((j) => bias.data[j]));
    return `${byBias.length} of these ${dead.length} units would be active on some sample ` +
      `without their negative biases (as low as ${fmt(lowest)}): large negative biases or a ` +
      "too-high learning rate pushed them below zero";
  }
  if (layer.dense && nonNegative(layer.input)) {
    return "the layer's inputs are all ≥ 0 (the output of a ReLU, a pooling layer or pixels), " +
      "so each unit's weights, summed, decide its sign for most samples; common at " +
      "initialisation, and training usually revives them — a problem if it persists";
  }
  return "their weights turn every sample's input negative: a too-high learning rate, or " +
    "weights drawn at the wrong scale";
}

/**
 * Detector 4: ReLU/leaky-ReLU units never active (pre-activation ≤ 0) on the whole batch. A
 * unit is a feature (the last axis) of a [batch, features] activation and a channel (axis 1)
 * of a [batch, channels, ...] one.
 */
export function detectDeadUnits(probe: Probe, opts: ResolvedOptions): Finding[] {
  const findings: Finding[] = [];
  for (const layer of probe.layers) {
    if (layer.activation !== "relu" && layer.activation !== "leakyRelu") continue;
    const z = layer.pre.data;
    const { shape, rank } = layer.pre;
    const units = (rank <= 2 ? shape[rank - 1] : shape[1]) ?? 1;
    // Element i belongs to unit ⌊i / inner⌋ mod units.
    const inner = rank <= 2 ? 1 : shape.slice(2).reduce((a, b) => a * b, 1);
    const top = new Float64Array(units).fill(-Infinity); // each unit's largest pre-activation
    for (let i = 0; i < z.length; i++) {
      const j = Math.floor(i / inner) % units;
      if (z[i] > top[j]) top[j] = z[i];
    }
    const deadUnits: number[] = [];
    top.forEach((max, j) => { if (!(max > 0)) deadUnits.push(j); });
    const dead = deadUnits.length;
    const fraction = dead / units;
    if (dead === 0 || fraction < opts.deadFraction) continue;
    const leaky = layer.activation === "leakyRelu";
    const what = rank <= 2 ? "units" : "channels";
    const over = rank <= 2 ? `this batch of ${z.length / units}`
      : `any position of this batch of ${shape[0]}`;
    findings.push({
      code: "dead-units", severity: fraction === 1 ? "error" : "warning", layer: layer.name,
      value: fraction,
      message: `${dead} of ${units} ${layer.activation} ${what} of ${layer.name} ` +
        `(${pct(fraction)}) are never active on ${over}` +
        (leaky ? "; only the small negative slope passes gradient" : " and get no gradient"),
      cause: fraction === 1
        ? "every pre-activation is ≤ 0: zero weights and biases, or a large negative bias"
        : partlyDeadCause(layer, deadUnits, top),
      fix: leaky
        ? "He initialisation with random weights, and a smaller learning rate"
        : "He initialisation, a smaller learning rate, leaky ReLU instead of ReLU, or batch " +
          "normalisation before the ReLU",
    });
  }
  return findings;
}

/** Detector 6: per-layer gradient norms out of range, and lr·‖g‖/‖w‖ when lr is known. */
export function detectGradientScale(probe: Probe, opts: ResolvedOptions): Finding[] {
  const findings: Finding[] = [];
  const layers = probe.layers.filter((l) => l.dense);
  const norms = layers.map((l) => norm(l.weightGrad));
  const largest = Math.max(0, ...norms);
  layers.forEach((layer, i) => {
    const g = norms[i];
    const w = norm(layer.dense!.weight);
    const onlyBias = g === 0 && layer.dense!.bias && !allZero(layer.biasGrad);
    if (g > opts.maxGradNorm) {
      findings.push({
        code: "exploding-gradient", severity: "error", layer: layer.name, value: g,
        message: `the weight gradient of ${describe(layer)} has norm ${fmt(g)} ` +
          `(above ${fmt(opts.maxGradNorm)})`,
        cause: "weights initialised too large, unnormalised inputs, or a loss summed over a " +
          "large batch",
        fix: "normalise the inputs, use He/Glorot scaling, lower the learning rate or clip " +
          "the gradient norm",
      });
    } else if (!onlyBias && (g < opts.minGradNorm || g < opts.gradNormSpread * largest)) {
      const relative = largest > 0 ? g / largest : 0;
      findings.push({
        code: "vanishing-gradient", severity: g === 0 ? "error" : "warning", layer: layer.name,
        value: g,
        message: `the weight gradient of ${describe(layer)} has norm ${fmt(g)}` +
          (largest > 0 ? ` (${fmt(relative)} of the largest layer's)` : "") +
          "; this layer barely learns",
        cause: g === 0
          ? "no gradient reaches it: the weights after it are all zero or its units are dead"
          : "the gradient shrinks through saturated sigmoid/tanh layers or tiny weights",
        fix: g === 0
          ? "random (He/Glorot) initialisation of every layer so gradient can flow back"
          : "He/Glorot initialisation, leaky ReLU instead of sigmoid/tanh in hidden layers",
      });
    }
    const lr = opts.learningRate;
    if (lr === undefined || w === 0 || g === 0 || g > opts.maxGradNorm) return;
    const ratio = (lr * g) / w;
    const [low, high] = opts.updateRatioRange;
    if (ratio >= low && ratio <= high) return;
    const tooBig = ratio > high;
    findings.push({
      code: "update-ratio", severity: "warning", layer: layer.name, value: ratio,
      message: `one step changes the weights of ${layer.name} by ${fmt(ratio)} of their norm ` +
        `(lr·‖g‖/‖w‖ with lr = ${lr}; healthy is about 1e-3, ` +
        `range [${fmt(low)}, ${fmt(high)}])`,
      cause: tooBig
        ? "the learning rate is too large for this layer"
        : "the learning rate is too small",
      fix: tooBig ? "lower the learning rate (or use Adam)" : "raise the learning rate",
    });
  });
  return findings;
}
