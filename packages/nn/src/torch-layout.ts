// PyTorch equivalents of tapegrad layers: one table entry per layer type, used by weight files
// (names and layouts of a torch.nn.Sequential state_dict) and by ONNX export.
import type { FloatArray, Tensor } from "@tapegrad/core";
import { Activation, type ActivationName } from "./activations.js";
import { Dense } from "./dense.js";
import type { Module } from "./module.js";
import { Sequential } from "./sequential.js";

/** One tensor of a PyTorch module and the tapegrad tensor that holds it. */
export interface TorchTensor {
  /** Its name inside the module: `weight`, `bias` (and for normalization `running_mean` …). */
  readonly name: string;
  /** PyTorch's shape of it, e.g. `[out, in]` for nn.Linear's weight. */
  readonly shape: readonly number[];
  /** The tapegrad parameter or buffer holding the values (in tapegrad's own layout). */
  readonly target: Tensor;
  /** The values in PyTorch's layout: a fresh array of `target`'s dtype. */
  read(): FloatArray;
  /** Stores values given in PyTorch's layout (length `product(shape)`) into `target`. */
  write(data: FloatArray): void;
}

/** A torch.nn module equivalent to a tapegrad layer (or to part of one). */
export interface TorchModule {
  /** The torch.nn class: `Linear`, `ReLU`, `LeakyReLU`, `Softmax`, `Sequential`, … */
  readonly type: string;
  /** Its constructor's keyword arguments, e.g. `{ in_features: 784, out_features: 128 }`. */
  readonly args: Readonly<Record<string, number | boolean>>;
  /** Its parameters and buffers in state_dict order. */
  readonly tensors: readonly TorchTensor[];
  /** The modules of a `Sequential`, numbered from 0 as PyTorch numbers them. */
  readonly children: readonly TorchModule[];
  /** The tapegrad layer it comes from, for messages: `layers[0] (Dense 784 → 128, relu)`. */
  readonly source: string;
}

/** One entry of the table: a tapegrad layer type and the torch modules it becomes. */
interface TorchMapping {
  readonly layer: string;
  matches(layer: Module): boolean;
  toTorch(layer: Module, source: string): TorchModule[];
}

function entry<L extends Module>(
  layer: abstract new (...args: never[]) => L, toTorch: (layer: L, source: string) => TorchModule[],
): TorchMapping {
  return {
    layer: layer.name, matches: (m) => m instanceof layer, toTorch: (m, s) => toTorch(m as L, s),
  };
}

function module(
  type: string, source: string, args: TorchModule["args"] = {},
  tensors: readonly TorchTensor[] = [], children: readonly TorchModule[] = [],
): TorchModule {
  return { type, args, tensors, children, source };
}

/** A tensor whose PyTorch layout is tapegrad's (biases, normalization buffers). */
export function sameLayout(name: string, target: Tensor): TorchTensor {
  return {
    name, shape: [...target.shape], target,
    read: () => target.data.slice(),
    write: (data) => target.data.set(data),
  };
}

/** A 2-D tensor stored `[a, b]` in tapegrad and `[b, a]` in PyTorch (nn.Linear's weight). */
export function transposed(name: string, target: Tensor): TorchTensor {
  const [a, b] = target.shape;
  return {
    name, shape: [b, a], target,
    read: () => transpose(target.data, a, b),
    write: (data) => target.data.set(transpose(data, b, a)),
  };
}

// [rows, cols] row-major -> [cols, rows] row-major, same array type.
function transpose(data: FloatArray, rows: number, cols: number): FloatArray {
  const out = new (data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(
    rows * cols,
  );
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  }
  return out;
}

/** The torch.nn module of an activation (nn.Identity for "identity"). */
export function activationModule(name: ActivationName, alpha: number, source: string): TorchModule {
  switch (name) {
    case "identity": return module("Identity", source);
    case "sigmoid": return module("Sigmoid", source);
    case "tanh": return module("Tanh", source);
    case "relu": return module("ReLU", source);
    case "leakyRelu": return module("LeakyReLU", source, { negative_slope: alpha });
    case "softmax": return module("Softmax", source, { dim: -1 });
  }
  throw new RangeError(`activationModule: unknown activation ${JSON.stringify(name)}`);
}

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

function activationToTorch(layer: Activation, source: string): TorchModule[] {
  return [activationModule(layer.name, layer.options.alpha ?? 0.01, source)];
}

// A Sequential inside a model is a nested nn.Sequential: names `i.j.weight`.
function sequentialToTorch(seq: Sequential, source: string): TorchModule[] {
  return [module("Sequential", source, {}, [], layersToTorch(seq.layers, `${source}.`))];
}

/**
 * The table. A new layer type adds one entry (before any type it extends), e.g.
 * `entry(Conv2d, (c, s) => [module("Conv2d", s, {...}, [sameLayout("weight", c.weight)])])`.
 */
const TORCH_MAPPINGS: readonly TorchMapping[] = [
  entry(Dense, denseToTorch),
  entry(Activation, activationToTorch),
  entry(Sequential, sequentialToTorch),
];

/** The tapegrad layer types that have a PyTorch equivalent. */
export const TORCH_LAYERS: readonly string[] = TORCH_MAPPINGS.map((m) => m.layer);

function layersToTorch(layers: readonly Module[], prefix: string): TorchModule[] {
  return layers.flatMap((layer, i) => {
    const where = `${prefix}layers[${i}]`;
    const mapping = TORCH_MAPPINGS.find((m) => m.matches(layer));
    if (!mapping) {
      throw new TypeError(
        `${where} is a ${layer.constructor.name}, which has no PyTorch equivalent; ` +
          `supported layers: ${TORCH_LAYERS.join(", ")}`,
      );
    }
    return mapping.toTorch(layer, `${where} (${describeLayer(layer)})`);
  });
}

function describeLayer(layer: Module): string {
  if (layer instanceof Dense) {
    const act = layer.activationName === "identity" ? "" : `, ${layer.activationName}`;
    return `Dense ${layer.inputSize} → ${layer.outputSize}${act}`;
  }
  if (layer instanceof Activation) return `Activation ${layer.name}`;
  return layer.constructor.name;
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

function pythonValue(v: number | boolean): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v); // JavaScript's shortest round-trip form (0.01, 1e-7) is valid Python
}
