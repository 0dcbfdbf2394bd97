// The PyTorch side of weight files and ONNX export: torch.nn modules as data (type, arguments,
// tensors in PyTorch's layout), and the helpers each layer type's entry is written with.
import type { FloatArray, Tensor } from "@tapegrad/core";
import type { ActivationName } from "./activations.js";
import type { Module } from "./module.js";

/** One tensor of a PyTorch module and the tapegrad tensor that holds it. */
export interface TorchTensor {
  /** Its name inside the module: `weight`, `bias` (and for normalization `running_mean` …). */
  readonly name: string;
  /** PyTorch's shape of it, e.g. `[out, in]` for nn.Linear's weight. */
  readonly shape: readonly number[];
  /**
   * Its dtype in PyTorch's files: the target's, or "int64" for a count PyTorch keeps as an
   * integer (`num_batches_tracked`; tapegrad holds it in a float64 tensor, exactly).
   */
  readonly dtype: "float32" | "float64" | "int64";
  /** The tapegrad parameter or buffer holding the values (in tapegrad's own layout). */
  readonly target: Tensor;
  /** The values in PyTorch's layout: a fresh array of `target`'s dtype. */
  read(): FloatArray;
  /** Stores values given in PyTorch's layout (length `product(shape)`) into `target`. */
  write(data: FloatArray): void;
}

/** A constructor argument of a torch.nn module: a number, a flag, a string, a tuple or None. */
export type TorchArg = number | boolean | string | readonly number[] | null;

/** A torch.nn module equivalent to a tapegrad layer (or to part of one). */
export interface TorchModule {
  /** The torch.nn class: `Linear`, `Conv2d`, `ReLU`, `BatchNorm2d`, `Sequential`, … */
  readonly type: string;
  /** Its constructor's keyword arguments, e.g. `{ in_features: 784, out_features: 128 }`. */
  readonly args: Readonly<Record<string, TorchArg>>;
  /** Its parameters and buffers in state_dict order. */
  readonly tensors: readonly TorchTensor[];
  /** The modules of a `Sequential`, numbered from 0 as PyTorch numbers them. */
  readonly children: readonly TorchModule[];
  /** The tapegrad layer it comes from, for messages: `layers[0] (Dense 784 → 128, relu)`. */
  readonly source: string;
}

/**
 * The PyTorch side of a layer class besides Dense and Activation, held as its static `torch`
 * (torch-layers.ts): the torch modules a layer becomes, and how messages name it.
 */
export interface TorchLayer {
  toTorch(layer: Module, source: string): TorchModule[];
  /** E.g. `Conv2d 1 → 16, relu`. */
  describe(layer: Module): string;
}

/** A TorchModule with its arguments, tensors and children. */
export function module(
  type: string, source: string, args: TorchModule["args"] = {},
  tensors: readonly TorchTensor[] = [], children: readonly TorchModule[] = [],
): TorchModule {
  return { type, args, tensors, children, source };
}

/**
 * A tensor whose PyTorch layout is tapegrad's (biases, conv weights, normalization buffers);
 * `dtype` "int64" for a count PyTorch stores as an integer.
 */
export function sameLayout(
  name: string, target: Tensor, dtype: TorchTensor["dtype"] = target.dtype,
): TorchTensor {
  return {
    name, shape: [...target.shape], target, dtype,
    read: () => target.data.slice(),
    write: (data) => target.data.set(data),
  };
}

/** A 2-D tensor stored `[a, b]` in tapegrad and `[b, a]` in PyTorch (nn.Linear's weight). */
export function transposed(name: string, target: Tensor): TorchTensor {
  const [a, b] = target.shape;
  return {
    name, shape: [b, a], target, dtype: target.dtype,
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
