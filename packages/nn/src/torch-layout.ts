// PyTorch equivalents of tapegrad layers: one table entry per layer type, used by weight files
// (names and layouts of a torch.nn.Sequential state_dict) and by ONNX export.
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { LAYER_TYPES, specTypeOf } from "./layer-registry.js";
import type { Module } from "./module.js";
import { Sequential } from "./sequential.js";
import {
  type TorchArg, type TorchLayer, type TorchModule, type TorchTensor, activationModule, module,
  sameLayout, transposed,
} from "./torch-modules.js";

/** A layer of the model has no PyTorch module (callers may say what to do instead). */
export class NoTorchEquivalentError extends TypeError {
  override name = "TypeError";
}

export type { TorchArg, TorchModule, TorchTensor } from "./torch-modules.js";

// A Dense is nn.Linear, followed by its activation's module unless that is the identity:
// Dense(784 → 128, relu) is two entries of an nn.Sequential, `i` (Linear) and `i + 1` (ReLU).
function denseToTorch(dense: Dense, source: string): TorchModule[] {
  const tensors = [transposed("weight", dense.weight)];
  if (dense.bias) tensors.push(sameLayout("bias", dense.bias));
  const args = {
    in_features: dense.inputSize, out_features: dense.outputSize, bias: dense.bias !== null,
  };
  const linear = module("Linear", source, args, tensors);
  if (dense.activationName === "identity") return [linear];
  return [linear, activationModule(dense.activationName, dense.alpha, source)];
}

/**
 * The tapegrad layer types that have a PyTorch equivalent: Dense, Activation and Sequential
 * (here), and every spec layer type, each of whose classes holds its entry as its static
 * `torch` (torch-layers.ts), so that this file names none of them.
 */
export const TORCH_LAYERS: readonly string[] = ["Dense", "Activation", "Sequential",
  ...LAYER_TYPES.slice(2).map((type) => type[0].toUpperCase() + type.slice(1))];

// The entry of a spec layer's class (matched by its spec type, as subclasses inherit it).
function torchLayerOf(layer: Module): TorchLayer | undefined {
  if (specTypeOf(layer) === undefined) return undefined;
  return (layer.constructor as { torch?: TorchLayer }).torch;
}

function layersToTorch(layers: readonly Module[], prefix: string): TorchModule[] {
  return layers.flatMap((layer, i) => {
    const where = `${prefix}layers[${i}]`;
    if (layer instanceof Dense) {
      const act = layer.activationName === "identity" ? "" : `, ${layer.activationName}`;
      return denseToTorch(layer, `${where} (Dense ${layer.inputSize} → ${layer.outputSize}${act})`);
    }
    if (layer instanceof Activation) {
      const source = `${where} (Activation ${layer.name})`;
      return [activationModule(layer.name, layer.options.alpha ?? 0.01, source)];
    }
    if (layer instanceof Sequential) {
      // A Sequential inside a model is a nested nn.Sequential: names `i.j.weight`.
      const source = `${where} (${layer.constructor.name})`;
      return [module("Sequential", source, {}, [], layersToTorch(layer.layers, `${source}.`))];
    }
    const torch = torchLayerOf(layer);
    if (torch === undefined) {
      throw new NoTorchEquivalentError(
        `${where} is a ${layer.constructor.name}, which has no PyTorch equivalent; ` +
          `supported layers: ${TORCH_LAYERS.join(", ")}`,
      );
    }
    return torch.toTorch(layer, `${where} (${torch.describe(layer)})`);
  });
}

/**
 * The modules of the torch.nn.Sequential equivalent to `model`: a Sequential's layers in order
 * (a Dense with an activation gives two), or a single layer as a Sequential of one. Throws a
 * TypeError naming the first layer without a PyTorch equivalent.
 * @example torchModules(model).map((m) => m.type) // ["Linear", "ReLU", "Linear"]
 */
export function torchModules(model: Module, where = "torchModules"): TorchModule[] {
  const layers = model instanceof Sequential ? model.layers : [model];
  try {
    return layersToTorch(layers, "");
  } catch (err) {
    if (err instanceof NoTorchEquivalentError) {
      throw new NoTorchEquivalentError(`${where}: ${err.message}`);
    }
    if (err instanceof TypeError) throw new TypeError(`${where}: ${err.message}`);
    throw err;
  }
}

/** A state_dict entry: its full name (`2.weight`) and the module it belongs to. */
export interface TorchStateEntry {
  readonly name: string;
  readonly tensor: TorchTensor;
  readonly module: TorchModule;
}

/**
 * Every tensor of `modules` under the name torch.nn.Sequential's `state_dict()` gives it
 * (`0.weight`, `0.bias`, `2.weight`, nested `3.0.weight`), in state_dict order.
 */
export function torchStateEntries(
  modules: readonly TorchModule[], prefix = "",
): TorchStateEntry[] {
  return modules.flatMap((m, i) => [
    ...m.tensors.map((tensor) => ({ name: `${prefix}${i}.${tensor.name}`, tensor, module: m })),
    ...torchStateEntries(m.children, `${prefix}${i}.`),
  ]);
}

/** The Python constructor call of a module, e.g. `nn.Linear(in_features=4, out_features=3)`. */
export function torchModuleCode(m: TorchModule, indent = ""): string {
  if (m.children.length > 0) {
    const inner = m.children.map((c) => `${indent}    ${torchModuleCode(c, `${indent}    `)},`);
    return `nn.${m.type}(\n${inner.join("\n")}\n${indent})`;
  }
  const args = Object.entries(m.args).map(([k, v]) => `${k}=${pythonValue(v)}`).join(", ");
  return `nn.${m.type}(${args})`;
}

/**
 * The PyTorch model equivalent to `model` as Python source, e.g.
 * `nn.Sequential(nn.Linear(in_features=784, out_features=128, bias=True), nn.ReLU(), …)`:
 * its `load_state_dict` accepts what `modelToSafetensors(model)` writes.
 */
export function torchModelCode(model: Module): string {
  const modules = torchModules(model, "torchModelCode");
  return torchModuleCode(module("Sequential", "model", {}, [], modules));
}

function pythonValue(v: TorchArg): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return JSON.stringify(v); // "same": a valid Python string
  if (typeof v !== "number") { // a tuple: (5, 3), or (8,) for one
    return `(${v.map(pythonValue).join(", ")}${v.length === 1 ? "," : ""})`;
  }
  return String(v); // JavaScript's shortest round-trip form (0.01, 1e-7) is valid Python
}
