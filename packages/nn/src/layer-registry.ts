// The layer types fromSpec builds besides dense and activation: each layer class registers
// itself when its module loads, so a bundle without, say, convolutions carries none of their
// code (nor the kernels behind them).
import type { DType, Rng } from "@tapegrad/core";
import type { Module } from "./module.js";
import type { LayerSpec } from "./spec-schema.js";

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

/** A layer class fromSpec can build: its spec `type` and how to build it. */
export interface SpecLayerClass {
  /** The spec's `type` for it, e.g. "conv2d". */
  readonly specType: LayerSpec["type"];
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

/** Adds layer classes to those fromSpec builds (each layer module registers its own). */
export function registerLayers(...classes: readonly SpecLayerClass[]): void {
  for (const c of classes) registered.set(c.specType, c);
}

/** The class that builds spec layers of `type`, if it is in the program. */
export function registeredLayer(type: string): SpecLayerClass | undefined {
  return registered.get(type);
}

/** Removes the class of `type` (or puts `replacement` in its place); for tests. */
export function unregisterLayer(type: string, replacement?: SpecLayerClass): void {
  if (replacement === undefined) registered.delete(type);
  else registered.set(type, replacement);
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
