// ONNX nodes (opset 17) of the convolution, pooling, normalization, dropout and embedding
// modules of the PyTorch table: one entry per torch.nn module type.
import type { TorchArg, TorchModule } from "../torch-modules.js";
import { ATTRIBUTE_TYPES, ONNX_DTYPES, type OnnxAttribute } from "./proto.js";

/** What an entry writes its nodes with (see export.ts's OnnxBuilder). */
export interface LayerBuilder {
  node(opType: string, inputs: readonly string[], attributes?: readonly OnnxAttribute[]): string;
  tensor(name: string): string;
  /** An initializer of the model's dtype: `values` of `shape`. */
  constant(name: string, shape: readonly number[], values: readonly number[]): string;
  /** An int64 initializer of `values` (a 1-D tensor). */
  ints(name: string, values: readonly number[]): string;
}

/** An integer attribute. */
export function intAttribute(name: string, i: number): OnnxAttribute {
  return { name, type: ATTRIBUTE_TYPES.int, i };
}

/** An integer-list attribute. */
export function intsAttribute(name: string, ints: readonly number[]): OnnxAttribute {
  return { name, type: ATTRIBUTE_TYPES.ints, ints: [...ints] };
}

/** A float attribute (stored as float32, as ONNX defines it). */
export function floatAttribute(name: string, f: number): OnnxAttribute {
  return { name, type: ATTRIBUTE_TYPES.float, f };
}

type LayerToOnnx = (m: TorchModule, input: string, b: LayerBuilder) => string;

/** A size argument per spatial axis: 5 → [5, 5] (or [5] for one axis). */
function sizes(m: TorchModule, key: string, axes: number): number[] {
  const v: TorchArg = m.args[key];
  if (typeof v === "number") return new Array<number>(axes).fill(v);
  if (Array.isArray(v) && v.length === axes) return [...v];
  throw new Error(`exportOnnx: ${m.source}: ${key} is not a size; got ${JSON.stringify(v)}`);
}

const flag = (m: TorchModule, key: string): boolean => m.args[key] === true;
const count = (m: TorchModule, key: string): number => m.args[key] as number;

/** ONNX pads [begin per axis..., end per axis...] of a convolution's padding argument. */
function convPads(m: TorchModule, axes: number): number[] {
  const kernel = sizes(m, "kernel_size", axes);
  const dilation = sizes(m, "dilation", axes);
  const padding = m.args.padding;
  if (padding === "same") { // PyTorch puts an odd total's extra row or column after
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    return [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  }
  const each = padding === "valid" ? new Array<number>(axes).fill(0) : sizes(m, "padding", axes);
  return [...each, ...each];
}

function conv(axes: number): LayerToOnnx {
  return (m, x, b) => b.node("Conv", [
    x, b.tensor("weight"), ...(flag(m, "bias") ? [b.tensor("bias")] : []),
  ], [
    intsAttribute("kernel_shape", sizes(m, "kernel_size", axes)),
    intsAttribute("strides", sizes(m, "stride", axes)),
    intsAttribute("dilations", sizes(m, "dilation", axes)),
    intsAttribute("pads", convPads(m, axes)),
    intAttribute("group", count(m, "groups")),
  ]);
}

function poolAttributes(m: TorchModule): OnnxAttribute[] {
  const padding = sizes(m, "padding", 2);
  return [
    intsAttribute("kernel_shape", sizes(m, "kernel_size", 2)),
    intsAttribute("strides", sizes(m, "stride", 2)),
    intsAttribute("pads", [...padding, ...padding]),
    intAttribute("ceil_mode", flag(m, "ceil_mode") ? 1 : 0),
  ];
}

/**
 * Batch normalization by each batch's own statistics (no running statistics kept): the input
 * as [n, c, rest] (rest = 1 for [n, c]), mean and biased variance over axes 0 and 2.
 */
function batchStatistics(m: TorchModule, x: string, b: LayerBuilder): string {
  const c = count(m, "num_features");
  const flat = b.node("Reshape", [x, b.ints("flat_shape", [0, 0, -1])]);
  const axes = [intsAttribute("axes", [0, 2]), intAttribute("keepdims", 1)];
  const centered = b.node("Sub", [flat, b.node("ReduceMean", [flat], axes)]);
  const variance = b.node("ReduceMean", [b.node("Mul", [centered, centered])], axes);
  const eps = b.constant("eps", [], [m.args.eps as number]);
  let y = b.node("Div", [centered, b.node("Sqrt", [b.node("Add", [variance, eps])])]);
  if (flag(m, "affine")) {
    const perChannel = b.ints("channel_shape", [c, 1]);
    y = b.node("Mul", [y, b.node("Reshape", [b.tensor("weight"), perChannel])]);
    y = b.node("Add", [y, b.node("Reshape", [b.tensor("bias"), perChannel])]);
  }
  return b.node("Reshape", [y, b.node("Shape", [x])]);
}

function batchNorm(m: TorchModule, x: string, b: LayerBuilder): string {
  if (!flag(m, "track_running_stats")) return batchStatistics(m, x, b);
  const c = count(m, "num_features");
  const affine = flag(m, "affine");
  return b.node("BatchNormalization", [
    x,
    affine ? b.tensor("weight") : b.constant("weight", [c], new Array<number>(c).fill(1)),
    affine ? b.tensor("bias") : b.constant("bias", [c], new Array<number>(c).fill(0)),
    b.tensor("running_mean"), b.tensor("running_var"),
  ], [floatAttribute("epsilon", m.args.eps as number)]);
}

function layerNorm(m: TorchModule, x: string, b: LayerBuilder): string {
  const shape = m.args.normalized_shape as readonly number[];
  const size = shape.reduce((p, d) => p * d, 1);
  const affine = flag(m, "elementwise_affine");
  return b.node("LayerNormalization", [
    x,
    affine ? b.tensor("weight") : b.constant("weight", shape, new Array<number>(size).fill(1)),
    affine ? b.tensor("bias") : b.constant("bias", shape, new Array<number>(size).fill(0)),
  ], [intAttribute("axis", -shape.length), floatAttribute("epsilon", m.args.eps as number)]);
}

/** torch.flatten(x, start, end): ONNX Flatten for (1, −1), else a Reshape to kept dims. */
function flatten(m: TorchModule, x: string, b: LayerBuilder): string {
  const start = count(m, "start_dim");
  const end = count(m, "end_dim");
  if (start === 1 && end === -1) return b.node("Flatten", [x], [intAttribute("axis", 1)]);
  if (start < 0) throw new Error(`exportOnnx: ${m.source}: start_dim must be ≥ 0 for export`);
  // The dims before start, −1 for the joined ones, and those after end (Shape-15 slices; a
  // negative end + 1 counts from the back, as torch's end_dim does).
  const parts = [
    ...(start > 0 ? [b.node("Shape", [x], [intAttribute("end", start)])] : []),
    b.ints("joined", [-1]),
    ...(end === -1 ? [] : [b.node("Shape", [x], [intAttribute("start", end + 1)])]),
  ];
  const shape = b.node("Concat", parts, [intAttribute("axis", 0)]);
  return b.node("Reshape", [x, shape]);
}

/** The table's entries for these module types. */
export const LAYER_ONNX: Readonly<Record<string, LayerToOnnx>> = {
  Conv2d: conv(2),
  Conv1d: conv(1),
  MaxPool2d: (m, x, b) => b.node("MaxPool", [x], [
    ...poolAttributes(m), intsAttribute("dilations", sizes(m, "dilation", 2)),
  ]),
  AvgPool2d: (m, x, b) => b.node("AveragePool", [x], [
    ...poolAttributes(m), intAttribute("count_include_pad", flag(m, "count_include_pad") ? 1 : 0),
  ]),
  AdaptiveAvgPool2d: (m, x, b) => {
    if (m.args.output_size !== 1) {
      throw new Error(`exportOnnx: ${m.source}: only output_size 1 (global pooling) exports`);
    }
    return b.node("GlobalAveragePool", [x]);
  },
  Flatten: flatten,
  // Inference: dropout passes its input through.
  Dropout: (_m, x, b) => b.node("Identity", [x]),
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  LayerNorm: layerNorm,
  // Ids come as the model's floats (as tapegrad takes them); Gather wants integers.
  Embedding: (_m, x, b) => b.node("Gather", [
    b.tensor("weight"), b.node("Cast", [x], [intAttribute("to", ONNX_DTYPES.int64)]),
  ], [intAttribute("axis", 0)]),
};
