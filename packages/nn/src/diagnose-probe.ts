// One instrumented forward/backward pass for diagnose(): per-layer activations and gradients.
import {
  AnomalyError, ShapeError, type Tensor, detectAnomaly, formatShape, withGradMode,
} from "@tapegrad/core";
import { Activation, type ActivationName, activation } from "./activations.js";
import { Dense } from "./dense.js";
import { type Reduction, bceWithLogits, crossEntropy, mse } from "./loss.js";
import type { LossName } from "./objective.js";
import { preservingState } from "./module.js";
import type { Sequential } from "./sequential.js";

/** What one layer of the model saw and produced on the batch. */
export interface LayerProbe {
  /** Parameter prefix of the layer, e.g. "layers.2". */
  readonly name: string;
  readonly index: number;
  /** The Dense layer itself, or null for an Activation or another module. */
  readonly dense: Dense | null;
  /** The layer's own parameter named "weight" (a Dense's, a convolution's, …), or null. */
  readonly weight: Tensor | null;
  /** The layer's class name, for messages ("Conv2d"). */
  readonly kind: string;
  /** The nonlinearity applied last in this layer ("identity" for a plain Dense). */
  readonly activation: ActivationName | "other";
  readonly input: Tensor;
  /** Input of the nonlinearity (x·W + b for a Dense). */
  readonly pre: Tensor;
  readonly output: Tensor;
  /** Gradients of the loss, or null when the layer has no such parameter. */
  weightGrad: Tensor | null;
  biasGrad: Tensor | null;
}

/** Everything the detectors read. */
export interface Probe {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly layers: LayerProbe[];
  /** The model's output before its final sigmoid/softmax (the output itself otherwise). */
  readonly logits: Tensor;
  readonly loss: number;
  readonly lossKind: LossName;
  readonly reduction: Reduction;
}

function evaluateLoss(
  kind: LossName, logits: Tensor, output: Tensor, y: Tensor, reduction: Reduction,
): Tensor {
  switch (kind) {
    case "bce": return bceWithLogits(logits, y, { reduction });
    case "crossEntropy": return crossEntropy(logits, y, { reduction });
    case "mse": return mse(output, y, { reduction });
  }
}

interface Forward {
  layers: LayerProbe[];
  logits: Tensor;
  output: Tensor;
}

/** Runs the layers one by one, keeping each layer's input, pre-activation and output. */
function forward(model: Sequential, x: Tensor, onLayer: (name: string) => void): Forward {
  const layers: LayerProbe[] = [];
  let h = x;
  let logits = x;
  model.layers.forEach((layer, index) => {
    const name = `layers.${index}`;
    onLayer(name);
    const input = h;
    let pre: Tensor;
    let kind: ActivationName | "other";
    if (layer instanceof Dense) {
      pre = layer.linear(input);
      kind = layer.activationName;
      h = activation(kind, { alpha: layer.alpha })(pre);
    } else if (layer instanceof Activation) {
      pre = input;
      kind = layer.name;
      h = layer.forward(input);
    } else {
      pre = input;
      kind = "other";
      h = layer.forward(input);
    }
    logits = kind === "sigmoid" || kind === "softmax" ? pre : h;
    const weight = layer.namedParameters().find(([n]) => n === "weight")?.[1] ?? null;
    layers.push({
      name, index, dense: layer instanceof Dense ? layer : null, weight,
      kind: layer.constructor.name, activation: kind,
      input, pre, output: h, weightGrad: null, biasGrad: null,
    });
  });
  return { layers, logits, output: h };
}

/**
 * Forward and backward on the batch. NOTE: parameters' `.grad` are saved, cleared, and put
 * back afterwards, and so are the buffers (running statistics) and the dropout generators'
 * states, so diagnosing in the middle of training leaves training as it would have been.
 */
export function runProbe(
  model: Sequential, x: Tensor, y: Tensor, lossKind: LossName, reduction: Reduction,
  onLayer: (name: string) => void = () => {},
): Probe {
  const first = model.layers[0];
  if (first instanceof Dense && (x.rank !== 2 || x.shape[1] !== first.inputSize)) {
    throw new ShapeError(
      `diagnose: batch.x must be [batch, ${first.inputSize}]; got ${formatShape(x.shape)}`,
    );
  }
  const params = model.parameters();
  const saved = params.map((p) => p.grad);
  for (const p of params) p.grad = null;
  try {
    return preservingState(model, () => withGradMode(true, () => {
      const pass = forward(model, x, onLayer);
      onLayer("loss");
      const loss = evaluateLoss(lossKind, pass.logits, pass.output, y, reduction);
      onLayer("backward");
      if (loss.requiresGrad) loss.backward();
      for (const layer of pass.layers) {
        layer.weightGrad = layer.dense ? layer.dense.weight.grad : null;
        layer.biasGrad = layer.dense?.bias ? layer.dense.bias.grad : null;
      }
      return {
        x, y, layers: pass.layers, logits: pass.logits, loss: loss.item(), lossKind, reduction,
      };
    }));
  } finally {
    params.forEach((p, i) => { p.grad = saved[i]; });
  }
}

/** Where anomaly mode first saw NaN/Inf: the op, the phase and the layer being run. */
export interface AnomalySite {
  readonly op: string;
  readonly phase: "forward" | "backward";
  readonly layer: string;
  readonly message: string;
}

/** Re-runs the probe under detectAnomaly; the first op that produced NaN/Inf, if any. */
export function locateAnomaly(
  model: Sequential, x: Tensor, y: Tensor, lossKind: LossName, reduction: Reduction,
): AnomalySite | null {
  let current = "input";
  try {
    detectAnomaly(() => runProbe(model, x, y, lossKind, reduction, (name) => { current = name; }));
    return null;
  } catch (error) {
    if (!(error instanceof AnomalyError)) throw error;
    return { op: error.op, phase: error.phase, layer: current, message: error.message };
  }
}
