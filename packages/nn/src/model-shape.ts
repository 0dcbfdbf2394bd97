// The input and output sizes of a model, read from its layers (or found by running it once).
import { type Tensor, noGrad, zeros } from "@tapegrad/core";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { type Module, enterMode } from "./module.js";

/** A module whose layers run one after another (Sequential and Model). */
interface Layered {
  readonly layers: readonly Module[];
}

/** The layers of a module whose layers run one after another; null for any other module. */
export function layersOf(model: Module): readonly Module[] | null {
  const layers = (model as Partial<Layered>).layers;
  return Array.isArray(layers) ? layers : null;
}

/**
 * The shape of one input sample of `model`: a Model's `inputShape` ([features], or a shape
 * such as [1, 28, 28]), or [inputSize] of its first Dense layer; null when nothing says.
 */
export function inputShapeOf(model: Module): number[] | null {
  const shape = (model as { inputShape?: unknown }).inputShape;
  if (Array.isArray(shape)) return [...shape as number[]];
  const declared = (model as { inputSize?: unknown }).inputSize;
  if (typeof declared === "number") return [declared];
  for (const layer of layersOf(model) ?? []) {
    if (layer instanceof Dense) return [layer.inputSize];
    if (layer instanceof Activation) continue; // same size out as in: keep looking
    return layersOf(layer) === null ? null : inputShapeOf(layer);
  }
  return null;
}

/**
 * The number of input values per sample `model` takes: a Model's `inputSize` (the features,
 * or the product of its input shape), or that of its first Dense layer; null when nothing says.
 */
export function inputSizeOf(model: Module): number | null {
  const shape = inputShapeOf(model);
  return shape === null ? null : shape.reduce((a, b) => a * b, 1);
}

/** `model`'s output on one sample of zeros, in evaluation mode (so nothing is drawn or kept). */
export function probeOutput(model: Module, shape: readonly number[]): Tensor {
  const restore = enterMode(model, false);
  try {
    return noGrad(() => model.forward(zeros([1, ...shape], { dtype: dtypeOf(model) })));
  } finally {
    restore();
  }
}

/**
 * The number of outputs (units of the last Dense layer, looking through final activations),
 * or, for other modules, the last axis of the output of one forward pass on zeros shaped by
 * the input size. Throws when neither is known.
 * @example outputSizeOf(fromSpec(seedSpec())) // 10
 */
export function outputSizeOf(model: Module, where = "fit"): number {
  const declared = (model as { outputSize?: unknown }).outputSize;
  if (typeof declared === "number") return declared;
  const fromLayers = lastUnits(model);
  if (fromLayers !== null) return fromLayers;
  const shape = inputShapeOf(model);
  if (shape === null) {
    throw new Error(`${where}: cannot tell how many outputs this ${model.constructor.name} ` +
      "has; give it an inputSize or outputSize property, or use Sequential/Dense layers");
  }
  const out = probeOutput(model, shape);
  return out.shape[out.rank - 1] ?? 1;
}

function lastUnits(model: Module): number | null {
  if (model instanceof Dense) return model.outputSize;
  const layers = layersOf(model);
  if (layers === null) return null;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer instanceof Activation) continue;
    return lastUnits(layer);
  }
  return null;
}

/** The dtype of the model's parameters (a Model's spec dtype, or float32, when it has none). */
export function dtypeOf(model: Module): "float32" | "float64" {
  const declared = (model as { dtype?: unknown }).dtype;
  return model.parameters()[0]?.dtype ?? (declared === "float64" ? "float64" : "float32");
}
