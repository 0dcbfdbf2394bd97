// exportOnnx: a tapegrad model as an ONNX model (opset 17), built from its PyTorch equivalent so
// that initializers carry the same names and layouts as the safetensors file.
import { type DType, type FloatArray, checkOptions } from "@tapegrad/core";
import type { Module } from "../module.js";
import { type TorchModule, torchModules } from "../torch-layout.js";
import { LAYER_ONNX, floatAttribute, intAttribute } from "./layers.js";
import {
  ONNX_DTYPES, type OnnxAttribute, type OnnxNode, type OnnxTensor, encodeModel,
} from "./proto.js";

export { floatAttribute, intAttribute, intsAttribute } from "./layers.js";

/** The ONNX operator set exported models use (the default domain, version 17). */
export const ONNX_OPSET = 17;
/** The ONNX IR version of opset 17. */
export const ONNX_IR_VERSION = 8;

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Name of the graph input (default "input"); it is `[batch, features]`. */
  readonly inputName?: string;
  /** Name of the graph output (default "output"). */
  readonly outputName?: string;
  /** Stored as the model's doc_string. */
  readonly docString?: string;
}

/** What an entry of the ONNX table writes its nodes with; names are scoped to the module. */
export interface OnnxBuilder {
  /** Adds a node reading `inputs`; returns the name of its (single) output. */
  node(opType: string, inputs: readonly string[], attributes?: readonly OnnxAttribute[]): string;
  /** Adds the module's tensor `name` (`weight`, `bias`) as an initializer; returns its name. */
  tensor(name: string): string;
  /** Adds a scalar initializer of the model's dtype, `<module>.<name>`; returns its name. */
  scalar(name: string, value: number): string;
  /** Adds an initializer of the model's dtype: `values` of `shape`; returns its name. */
  constant(name: string, shape: readonly number[], values: readonly number[]): string;
  /** Adds a 1-D int64 initializer (shapes, axes); returns its name. */
  ints(name: string, values: readonly number[]): string;
  /** Exports the module's children in order from `input`; returns the last output. */
  children(input: string): string;
  /** The model's dtype: float32 exports as ONNX FLOAT, float64 as DOUBLE. */
  readonly dtype: DType;
}


type ToOnnx = (m: TorchModule, input: string, b: OnnxBuilder) => string;

/**
 * The table: one entry per torch.nn module type of the PyTorch table (torch-layout.ts), e.g.
 * `Conv2d: (m, x, b) => b.node("Conv", [x, b.tensor("weight"), b.tensor("bias")], [...])`.
 */
const ONNX_MAPPINGS: Readonly<Record<string, ToOnnx>> = {
  // nn.Linear's weight is [out, in]: Gemm(x, W, b) with transB = 1 is x·Wᵀ + b.
  Linear: (m, x, b) => b.node(
    "Gemm",
    [x, b.tensor("weight"), ...(m.args.bias === true ? [b.tensor("bias")] : [])],
    [intAttribute("transB", 1)],
  ),
  Identity: (_m, x, b) => b.node("Identity", [x]),
  ReLU: (_m, x, b) => b.node("Relu", [x]),
  LeakyReLU: (m, x, b) => {
    const slope = num(m, "negative_slope");
    if (b.dtype === "float32" || Math.fround(slope) === slope) {
      return b.node("LeakyRelu", [x], [floatAttribute("alpha", slope)]);
    }
    // LeakyRelu's alpha is a float32 attribute; a float64 model keeps its slope exact this way.
    const positive = b.node("Greater", [x, b.scalar("zero", 0)]);
    return b.node("Where", [positive, x, b.node("Mul", [x, b.scalar("negative_slope", slope)])]);
  },
  Sigmoid: (_m, x, b) => b.node("Sigmoid", [x]),
  Tanh: (_m, x, b) => b.node("Tanh", [x]),
  // Since opset 13 Softmax normalises along the one axis given, as nn.Softmax(dim) does.
  Softmax: (m, x, b) => b.node("Softmax", [x], [intAttribute("axis", num(m, "dim"))]),
  Sequential: (_m, x, b) => b.children(x),
  ...LAYER_ONNX,
};

/** The torch.nn module types {@link exportOnnx} can write. */
export const ONNX_MODULES: readonly string[] = Object.keys(ONNX_MAPPINGS);

function num(m: TorchModule, key: string): number {
  const v = m.args[key];
  if (typeof v !== "number") throw new Error(`exportOnnx: ${m.source}: ${key} is not a number`);
  return v;
}

/**
 * The ONNX model (opset {@link ONNX_OPSET}) of `model`, as the bytes of a `.onnx` file: input
 * `[batch, features]` or `[batch, ...shape]` for a model whose input is a shape (batch named,
 * so any batch size runs), output `[batch, outputs]`, weights (and batch norm's running
 * statistics) as initializers named as in the safetensors file (`0.weight`, `[out, in]`). The
 * graph is the model in evaluation mode: dropout is the identity, batch norm uses its running
 * statistics. Embedding ids come as the model's floats (cast to int64 for Gather). float32
 * models export as FLOAT, float64 models as DOUBLE. Throws, naming the layer, for a layer
 * without an ONNX equivalent, and for an empty model.
 * @example await writeFile("model.onnx", exportOnnx(model));
 */
export function exportOnnx(model: Module, options: ExportOnnxOptions = {}): Uint8Array {
  const where = "exportOnnx";
  const {
    inputName = "input", outputName = "output", docString,
  } = checkOptions(where, options, ["inputName", "outputName", "docString"]);
  for (const [key, value] of [["inputName", inputName], ["outputName", outputName]] as const) {
    if (typeof value !== "string" || value === "") {
      throw new TypeError(
        `${where}: ${key} must be a non-empty string; got ${JSON.stringify(value)}`,
      );
    }
  }
  if (inputName === outputName) {
    throw new RangeError(`${where}: inputName and outputName must differ; both are "${inputName}"`);
  }
  const modules = torchModules(model, where);
  if (modules.length === 0) throw new RangeError(`${where}: the model has no layers`);
  const dtype = modelDType(model, where);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const initializer = (name: string, dims: readonly number[], data: FloatArray): string => {
    const rawData = littleEndian(data);
    initializers.push({ name, dims: [...dims], dataType: ONNX_DTYPES[dtype], rawData });
    return name;
  };
  const floats = (values: readonly number[]): FloatArray =>
    dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  const exportModules = (list: readonly TorchModule[], prefix: string, input: string): string =>
    list.reduce((x, m, i) => {
      const path = `${prefix}${i}`;
      const toOnnx = ONNX_MAPPINGS[m.type];
      if (!toOnnx) {
        throw new TypeError(
          `${where}: ${m.source} becomes nn.${m.type}, which has no ONNX export; ` +
            `supported: ${ONNX_MODULES.join(", ")}`,
        );
      }
      let count = 0;
      return toOnnx(m, x, {
        node: (opType, inputs, attributes = []) => {
          const output = `${path}.${opType}${count++ === 0 ? "" : `_${count - 1}`}`;
          nodes.push({
            name: output, opType, input: [...inputs], output: [output], attribute: [...attributes],
          });
          return output;
        },
        tensor: (name) => {
          const t = m.tensors.find((candidate) => candidate.name === name);
          if (!t) throw new Error(`${where}: ${m.source}: nn.${m.type} has no tensor "${name}"`);
          return initializer(`${path}.${name}`, t.shape, t.read());
        },
        scalar: (name, value) => initializer(`${path}.${name}`, [], floats([value])),
        constant: (name, shape, values) =>
          initializer(`${path}.${name}`, shape, floats(values)),
        ints: (name, values) => {
          const rawData = new Uint8Array(8 * values.length);
          const view = new DataView(rawData.buffer);
          values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
          initializers.push({
            name: `${path}.${name}`, dims: [values.length], dataType: ONNX_DTYPES.int64, rawData,
          });
          return `${path}.${name}`;
        },
        dtype,
        children: (from) => exportModules(m.children, `${path}.`, from),
      });
    }, input);
  let last = exportModules(modules, "", inputName);
  if (last === inputName) { // every module passed its input through: the output is a copy
    nodes.push({
      name: "output", opType: "Identity", input: [last], output: [last = "output"], attribute: [],
    });
  }
  for (const n of nodes) {
    n.output = n.output.map((name) => (name === last ? outputName : name));
    n.input = n.input.map((name) => (name === last ? outputName : name));
  }
  const [linearInputs, outputs] = featureCounts(modules);
  // A model from a spec knows its input and output shapes, whatever its layers.
  const declared = model as { inputShape?: unknown; outputShape?: unknown };
  const inputShape = Array.isArray(declared.inputShape) ? declared.inputShape as number[]
    : [linearInputs];
  const outputShape = Array.isArray(declared.outputShape) ? declared.outputShape as number[]
    : [outputs];
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    producerName: "tapegrad",
    ...(docString === undefined ? {} : { docString }),
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    metadataProps: [],
    graph: {
      name: "tapegrad", node: nodes, initializer: initializers,
      input: [valueInfo(inputName, dtype, inputShape, "features")],
      output: [valueInfo(outputName, dtype, outputShape, "outputs")],
    },
  });
}

// Every parameter must share one dtype; a model without parameters computes in its spec's
// dtype, or float32.
function modelDType(model: Module, where: string): DType {
  const dtypes = new Set(model.parameters().map((p) => p.dtype));
  if (dtypes.size > 1) {
    throw new TypeError(`${where}: parameters mix dtypes (${[...dtypes].join(", ")}); ` +
      "convert them to one dtype first");
  }
  const declared = (model as { dtype?: unknown }).dtype;
  const fallback = declared === "float64" ? "float64" : "float32";
  return dtypes.values().next().value ?? fallback;
}

// Input and output feature counts: the first Linear's inputs and the last one's outputs, as
// every other module keeps the feature count (a layer that changes it adds its rule here).
function featureCounts(modules: readonly TorchModule[]): [number | undefined, number | undefined] {
  const flat = (list: readonly TorchModule[]): TorchModule[] =>
    list.flatMap((m) => (m.type === "Sequential" ? flat(m.children) : [m]));
  const linears = flat(modules).filter((m) => m.type === "Linear");
  const input = linears[0]?.args.in_features;
  const output = linears[linears.length - 1]?.args.out_features;
  return [input as number | undefined, output as number | undefined];
}

function valueInfo(
  name: string, dtype: DType, shape: ReadonlyArray<number | undefined>, param: string,
) {
  const dims = shape.map((d, i) => (d === undefined
    ? { dimParam: shape.length === 1 ? param : `${param}_${i}` } : { dimValue: d }));
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPES[dtype], shape: { dim: [{ dimParam: "batch" }, ...dims] },
      },
    },
  };
}

// ONNX raw_data is little-endian whatever the platform.
function littleEndian(data: FloatArray): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else data.forEach((v, i) => view.setFloat64(8 * i, v, true));
  return out;
}
