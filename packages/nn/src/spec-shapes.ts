// Shapes through a spec's layers, inferred before anything is built: each layer's output shape
// and parameter count, or a problem naming the layer (`layers[3]: conv2d expects 16 input
// channels; the previous layer gives 32`). One rule per layer type, with PyTorch's formulas:
// dense and activation here, every other type's held by its class as its static `specShape`.
import { missingClassMessage, registeredLayer } from "./layer-registry.js";
import type { SpecProblem } from "./spec-problems.js";
import type {
  BatchNormLayerSpec, Conv1dLayerSpec, Conv2dLayerSpec, DenseLayerSpec, EmbeddingLayerSpec,
  FlattenLayerSpec, LayerNormLayerSpec, LayerSpec, ModelSpec,
} from "./spec-schema.js";

/** A sample's shape (the batch axis left out) after a layer, and that layer's parameters. */
export interface LayerShape {
  readonly shape: readonly number[];
  readonly parameters: number;
}

/** Shapes of a whole spec: the input's, then one entry per layer. */
export interface SpecShapes {
  readonly input: readonly number[];
  readonly layers: readonly LayerShape[];
}

/** Thrown by a rule; `key` is the field at fault, if one is (for the problem's path). */
class ShapeProblem extends Error {
  constructor(message: string, readonly key?: string) {
    super(message);
  }
}

/** The spec's input as a sample shape: a number of features is [features]. */
export function specInputShape(spec: Pick<ModelSpec, "input">): number[] {
  return typeof spec.input === "number" ? [spec.input] : [...spec.input];
}

const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const pair = (size: number | readonly number[] | undefined, fallback: number): number[] =>
  size === undefined ? [fallback, fallback] : typeof size === "number" ? [size, size] : [...size];

type Rule<L extends LayerSpec = LayerSpec> = (layer: L, input: readonly number[]) => LayerShape;

/** Requires `input` to have one of the ranks (per sample) a layer type takes. */
function needRank(input: readonly number[], ranks: readonly number[], form: string): void {
  if (!ranks.includes(input.length)) {
    throw new ShapeProblem(`needs ${form} input; gets ${show(input)}`);
  }
}

/** Input channels, checked against a given inChannels/numFeatures. */
function channels(input: readonly number[], given: number | undefined, what: string): number {
  const c = input[0];
  if (given !== undefined && given !== c) {
    throw new ShapeProblem(`expects ${given} input ${what}; gets ${c}`);
  }
  return c;
}

function convOutput(
  size: number, kernel: number, stride: number, padding: [number, number], dilation: number,
): number {
  return Math.floor((size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Padding per side [before, after] of one axis, PyTorch's "same" putting the extra after. */
function convPadding(
  padding: number | readonly number[] | "same" | "valid" | undefined, axis: 0 | 1, span: number,
): [number, number] {
  if (padding === "same") return [Math.floor(span / 2), span - Math.floor(span / 2)];
  if (padding === "valid" || padding === undefined) return [0, 0];
  const p = pair(padding, 0)[axis];
  return [p, p];
}

function conv(layer: Conv2dLayerSpec | Conv1dLayerSpec, input: readonly number[], axes: 1 | 2) {
  needRank(input, [axes + 1], axes === 2 ? "[channels, height, width]" : "[channels, length]");
  const c = channels(input, layer.inChannels, "channels");
  const groups = layer.groups ?? 1;
  if (c % groups !== 0 || layer.outChannels % groups !== 0) {
    throw new ShapeProblem(`groups ${groups} must divide the input channels ${c} and ` +
      `outChannels ${layer.outChannels}`, "groups");
  }
  const kernel = axes === 2 ? pair(layer.kernelSize, 1) : [1, layer.kernelSize as number];
  const stride = axes === 2 ? pair(layer.stride, 1) : [1, (layer.stride as number) ?? 1];
  const dilation = axes === 2 ? pair(layer.dilation, 1) : [1, (layer.dilation as number) ?? 1];
  if (layer.padding === "same" && stride.some((s) => s !== 1)) {
    throw new ShapeProblem('padding "same" needs stride 1 (as in PyTorch)', "padding");
  }
  const sizes = axes === 2 ? input.slice(1) : [1, input[1]];
  const out = sizes.map((size, i) => {
    const span = dilation[i] * (kernel[i] - 1);
    const padding = axes === 2 || i === 1
      ? convPadding(layer.padding, axes === 2 ? i as 0 | 1 : 0, span)
      : [0, 0] as [number, number];
    return convOutput(size, kernel[i], stride[i], padding, dilation[i]);
  });
  if (out.some((d) => d < 1)) {
    throw new ShapeProblem(`gives an empty output: its input ${show(input)} is smaller than ` +
      `the (dilated) kernel ${show(kernel.slice(2 - axes))} with its padding`);
  }
  const weights = layer.outChannels * (c / groups) * kernel[0] * kernel[1];
  const parameters = weights + (layer.bias === false ? 0 : layer.outChannels);
  return { shape: [layer.outChannels, ...out.slice(2 - axes)], parameters };
}

/** PyTorch's pooling output size (with ceil mode's rule that a window must start inside). */
function pooled(size: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  const span = size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let out = Math.floor(span / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** The rule of maxPool2d and avgPool2d. */
export function poolShape(
  layer: { kernelSize: number | number[]; stride?: number | number[];
    padding?: number | number[]; dilation?: number | number[]; ceilMode?: boolean },
  input: readonly number[],
): LayerShape {
  needRank(input, [3], "[channels, height, width]");
  const kernel = pair(layer.kernelSize, 1);
  const stride = layer.stride === undefined ? kernel : pair(layer.stride, 1);
  const padding = pair(layer.padding, 0);
  const dilation = pair(layer.dilation, 1);
  if (padding.some((p, i) => 2 * p > kernel[i])) {
    throw new ShapeProblem(`padding ${show(padding)} must be at most half the kernel size ` +
      show(kernel), "padding");
  }
  const out = [1, 2].map((axis, i) =>
    pooled(input[axis], kernel[i], stride[i], padding[i], dilation[i], layer.ceilMode ?? false));
  if (out.some((d) => d < 1)) {
    throw new ShapeProblem(`gives an empty output: its input ${show(input)} is smaller than ` +
      `the window ${show(kernel)}`);
  }
  return { shape: [input[0], ...out], parameters: 0 };
}

/** The rule of batchNorm1d and batchNorm2d. */
export function batchNormShape(layer: BatchNormLayerSpec, input: readonly number[]): LayerShape {
  const two = layer.type === "batchNorm2d";
  needRank(input, two ? [3] : [1, 2],
    two ? "[channels, height, width]" : "[features] or [channels, length]");
  const c = channels(input, layer.numFeatures, two ? "channels" : "features");
  return { shape: input, parameters: layer.affine === false ? 0 : 2 * c };
}

/** The rule of a layer that keeps its input's shape and has no parameters (dropout). */
export const sameShape = (_layer: unknown, input: readonly number[]): LayerShape =>
  ({ shape: input, parameters: 0 });

function denseShape(layer: DenseLayerSpec, input: readonly number[]): LayerShape {
  const features = input[input.length - 1];
  const bias = layer.useBias === false ? 0 : layer.units;
  const parameters = features * layer.units + bias;
  return { shape: [...input.slice(0, -1), layer.units], parameters };
}

/** The rule of conv2d. */
export const conv2dShape = (layer: Conv2dLayerSpec, input: readonly number[]): LayerShape =>
  conv(layer, input, 2);

/** The rule of conv1d. */
export const conv1dShape = (layer: Conv1dLayerSpec, input: readonly number[]): LayerShape =>
  conv(layer, input, 1);

/** The rule of globalAvgPool2d. */
export function globalAvgPool2dShape(_layer: unknown, input: readonly number[]): LayerShape {
  needRank(input, [3], "[channels, height, width]");
  return { shape: [input[0]], parameters: 0 };
}

/** The rule of flatten (axes counted with the batch axis). */
export function flattenShape(layer: FlattenLayerSpec, input: readonly number[]): LayerShape {
  const rank = input.length + 1; // with the batch axis
  const start = layer.startDim ?? 1;
  const endDim = layer.endDim ?? -1;
  const end = endDim < 0 ? endDim + rank : endDim;
  if (start >= rank || end < 0 || end >= rank) {
    throw new ShapeProblem(`startDim ${start} and endDim ${endDim} must be axes of its input ` +
      `[batch, ${input.join(", ")}]`);
  }
  if (start > end) throw new ShapeProblem(`startDim ${start} comes after endDim ${endDim}`);
  const joined = product(input.slice(start - 1, end));
  return { shape: [...input.slice(0, start - 1), joined, ...input.slice(end)], parameters: 0 };
}

/** The rule of layerNorm. */
export function layerNormShape(layer: LayerNormLayerSpec, input: readonly number[]): LayerShape {
  const given = layer.normalizedShape;
  const shape = given === undefined ? input.slice(-1) : typeof given === "number" ? [given]
    : given;
  const tail = input.slice(input.length - shape.length);
  if (shape.length > input.length || tail.some((d, i) => d !== shape[i])) {
    throw new ShapeProblem(`normalizedShape ${show(shape)} must be the last dimensions of its ` +
      `input ${show(input)}`, "normalizedShape");
  }
  return { shape: input, parameters: layer.elementwiseAffine === false ? 0 : 2 * product(shape) };
}

/** The rule of embedding. */
export const embeddingShape = (layer: EmbeddingLayerSpec, input: readonly number[]): LayerShape =>
  ({ shape: [...input, layer.embeddingDim], parameters: layer.numEmbeddings * layer.embeddingDim });

// The rule of a layer type: dense's and activation's, or its registered class's.
function ruleOf(type: LayerSpec["type"]): Rule | undefined {
  if (type === "dense") return denseShape as Rule;
  if (type === "activation") return sameShape;
  return registeredLayer(type)?.specShape as Rule | undefined;
}

/**
 * Runs `visit` on each layer's input shape and the layer's output shape, in order, and returns
 * every shape; the first layer that cannot take its input gives a problem naming it, e.g.
 * `layers[3]: conv2d expects 16 input channels; the previous layer gives 32`.
 */
export function inferShapes(
  spec: Pick<ModelSpec, "input" | "layers">,
  visit: (index: number, layer: LayerShape) => void = () => {},
): { shapes: SpecShapes } | { problem: SpecProblem } {
  const input = specInputShape(spec);
  const layers: LayerShape[] = [];
  let current: readonly number[] = input;
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i];
    const rule = ruleOf(layer.type);
    if (rule === undefined) {
      // Its class was unregistered after the spec was accepted (validation names it first).
      const path = `layers[${i}]`;
      return { problem: { path, message: `${path} ${missingClassMessage(layer.type)}` } };
    }
    try {
      const out = rule(layer, current);
      layers.push(out);
      visit(i, out);
      current = out.shape;
    } catch (error) {
      if (!(error instanceof ShapeProblem)) throw error;
      const message = error.message
        .replace(/\bgets\b/, i === 0 ? "the input gives" : "the previous layer gives")
        .replace(/\bits input\b/, i === 0 ? "the input" : "the previous layer's output");
      const path = `layers[${i}]${error.key === undefined ? "" : `.${error.key}`}`;
      return { problem: { path, message: `layers[${i}]: ${layer.type} ${message}` } };
    }
  }
  return { shapes: { input, layers } };
}
