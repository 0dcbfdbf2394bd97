// The layer types parseSpec checks and fromSpec builds besides dense and activation: each layer
// class registers itself when its module loads, with its schema and shape rule, so a bundle
// without, say, convolutions carries none of their code (nor the kernels behind them).
import type { DType, Rng } from "@tapegrad/core";
import type { Module } from "./module.js";
import type { LayerSpec } from "./spec-schema.js";
import type { LayerShape } from "./spec-shapes.js";
import type { LayerSchema } from "./spec-strict.js";

/** What a layer built from a spec gets besides its own fields. */
export interface LayerContext {
  /** The shape of one sample of its input (no batch axis), inferred through the layers. */
  readonly input: readonly number[];
  /** The generator all initial weights are drawn from, in layer order. */
  readonly rng: Rng;
  /** The generator the model's dropout layers draw their masks from. */
  readonly dropoutRng: Rng;
  readonly dtype: DType;
}

/**
 * A layer class parseSpec checks and fromSpec builds: its spec `type`, the schema and shape
 * rule of its entries, and how to build it.
 */
export interface SpecLayerClass {
  /** The spec's `type` for it, e.g. "conv2d". */
  readonly specType: LayerSpec["type"];
  /** The schema of its spec entries (spec-schema.ts). */
  readonly specSchema: LayerSchema;
  /**
   * Its output shape and parameter count for one sample's input shape (spec-shapes.ts);
   * throws a ShapeProblem for an input it cannot take.
   */
  specShape(layer: never, input: readonly number[]): LayerShape;
  /** The layer for one spec entry (already validated, shapes inferred). */
  fromSpec(layer: never, context: LayerContext): Module;
  readonly name: string;
}

/** Every layer type a spec can name, in the order of the spec schema's union. */
export const LAYER_TYPES: readonly LayerSpec["type"][] = [
  "dense", "activation", "conv2d", "conv1d", "maxPool2d", "avgPool2d", "globalAvgPool2d",
  "flatten", "dropout", "batchNorm1d", "batchNorm2d", "layerNorm", "embedding",
];

const registered = new Map<string, SpecLayerClass>();
// Bumped by every change, so that parseSpec knows when to rebuild its schema.
let version = 0;

/**
 * Adds layer classes to those parseSpec checks and fromSpec builds (each layer module
 * registers its own).
 */
export function registerLayers(...classes: readonly SpecLayerClass[]): void {
  for (const c of classes) {
    if (registered.get(c.specType) === c) continue;
    registered.set(c.specType, c);
    version++;
  }
}

/** Every registered class, and a number that changes whenever they do. */
export function registeredLayers(): { classes: SpecLayerClass[]; version: number } {
  return { classes: [...registered.values()], version };
}

/** After `layers[2] `: the layer's class is not in the program, and what to do. */
export function missingClassMessage(type: string): string {
  return `is a ${type} layer, whose class this program does not include: a bundler leaves out ` +
    "layer classes nothing names. Name them, e.g. fromSpec(spec, { layers: [Conv2d, " +
    "MaxPool2d] }) (parseSpec takes the same option) with the classes imported from " +
    "@tapegrad/nn";
}

/** The class that builds spec layers of `type`, if it is in the program. */
export function registeredLayer(type: string): SpecLayerClass | undefined {
  return registered.get(type);
}

/** Removes the class of `type` (or puts `replacement` in its place); for tests. */
export function unregisterLayer(type: string, replacement?: SpecLayerClass): void {
  if (replacement === undefined) registered.delete(type);
  else registered.set(type, replacement);
  version++;
}

/** The spec type of a layer's class (`conv2d` for Conv2d), if it has one. */
export function specTypeOf(layer: Module): string | undefined {
  const type = (layer.constructor as { specType?: unknown }).specType;
  return typeof type === "string" ? type : undefined;
}

/** A layer's class name, from its spec type where it has one (kept by minifiers): Conv2d. */
export function layerClassName(layer: Module): string {
  const type = specTypeOf(layer);
  return type === undefined ? layer.constructor.name : type[0].toUpperCase() + type.slice(1);
}
