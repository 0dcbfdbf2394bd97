// Weight-file layouts: PyTorch's names and layouts (written by default) and tapegrad's version 1
// (`layers.N.weight` stored [in, out]), told apart by the file's metadata.
import { type FloatArray, formatShape } from "@tapegrad/core";
import type { Module } from "./module.js";
import type { SafeTensor } from "./safetensors.js";
import { type TorchStateEntry, torchModules, torchStateEntries } from "./torch-layout.js";

/**
 * How a weight file names and lays out tensors. `"torch"`: as torch.nn.Sequential's
 * `state_dict()` (`0.weight` `[out, in]`, `0.bias`, …). `"tapegrad"`: tapegrad's own parameter
 * names and layouts (`layers.0.weight` `[in, out]`), the format of version 1 files, for models
 * with layers PyTorch has no equivalent for.
 */
export type WeightsLayout = "torch" | "tapegrad";

/** `__metadata__.format` of the weight files tapegrad writes (PyTorch's layout, as "pt"). */
export const WEIGHTS_FORMAT = "pt";
/** `__metadata__.version`: the layout version of those files ("1" was tapegrad's own). */
export const WEIGHTS_VERSION = "2";

/** The layouts {@link WeightsLayout} names. */
export const WEIGHTS_LAYOUTS: readonly WeightsLayout[] = ["torch", "tapegrad"];

/**
 * `__metadata__` of a file in PyTorch's layout. `format: "pt"` is what safetensors' own PyTorch
 * writer records (and what loaders of PyTorch files check); `producer` and `version` say that
 * tapegrad wrote it and which of its layouts.
 */
export const TORCH_LAYOUT_METADATA = {
  format: WEIGHTS_FORMAT, producer: "tapegrad", version: WEIGHTS_VERSION,
} as const;

/** `__metadata__` of a file in tapegrad's own layout (every file before version 2). */
export const TAPEGRAD_LAYOUT_METADATA = { format: "tapegrad", version: "1" } as const;

/** The layout of a file from its metadata: `format: "tapegrad"` is version 1, all else PyTorch. */
export function layoutOf(metadata: Record<string, string>, source: string): WeightsLayout {
  if (metadata.format !== TAPEGRAD_LAYOUT_METADATA.format) return "torch";
  if (metadata.version === TAPEGRAD_LAYOUT_METADATA.version) return "tapegrad";
  throw new Error(
    `${source}: unsupported tapegrad weights version; got ${JSON.stringify(metadata.version)}, ` +
      `expected "${TAPEGRAD_LAYOUT_METADATA.version}"`,
  );
}

/** The tensors of `model` as a file in `layout` stores them, with that layout's metadata. */
export function weightTensors(
  model: Module, layout: WeightsLayout, where: string,
): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  const tensors: Record<string, SafeTensor> = {};
  if (layout === "tapegrad") {
    for (const [name, p] of model.namedState()) {
      tensors[name] = { dtype: p.dtype, shape: [...p.shape], data: p.data };
    }
    return { tensors, metadata: { ...TAPEGRAD_LAYOUT_METADATA } };
  }
  for (const { name, tensor } of torchStateEntries(torchModules(model, where))) {
    tensors[name] = { dtype: tensor.dtype, shape: [...tensor.shape], data: tensor.read() };
  }
  return { tensors, metadata: { ...TORCH_LAYOUT_METADATA } };
}

/** One tensor the model expects: its shape and dtype in the file, where it goes, what it is. */
interface Expected {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly about: string;
  write(data: FloatArray): void;
}

/**
 * Copies `tensors` (decoded from a file in `layout`) into `model`. Every expected tensor must be
 * there with its shape and dtype and nothing else may be; otherwise nothing is changed and one
 * error from `source` lists every problem by tensor name.
 */
export function loadWeightTensors(
  model: Module, tensors: Record<string, SafeTensor>, layout: WeightsLayout, source: string,
): void {
  const expected = layout === "torch"
    ? torchExpected(torchStateEntries(torchModules(model, source)))
    : tapegradExpected(model);
  const missing = [...expected.keys()].filter((k) => !Object.hasOwn(tensors, k));
  const extra = Object.keys(tensors).filter((k) => !expected.has(k));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing tensors ${list(missing)}`);
  if (extra.length > 0) problems.push(`unexpected tensors ${list(extra)}`);
  for (const [name, e] of expected) {
    if (!Object.hasOwn(tensors, name)) continue;
    const t = tensors[name];
    const sameShape =
      t.shape.length === e.shape.length && t.shape.every((d, i) => d === e.shape[i]);
    if (!sameShape || t.dtype !== e.dtype) {
      problems.push(
        `tensor "${name}" is ${t.dtype} ${formatShape(t.shape)} but the model expects ` +
          `${e.dtype} ${formatShape(e.shape)}${e.about}`,
      );
    }
  }
  if (problems.length > 0) {
    const hint = layout === "torch" ? namesHint(missing, extra) : "";
    throw new Error(`${source}: weights do not match the model: ${problems.join("; ")}${hint}`);
  }
  for (const [name, e] of expected) e.write(tensors[name].data);
}

function torchExpected(entries: readonly TorchStateEntry[]): Map<string, Expected> {
  return new Map(entries.map(({ name, tensor, module }) => [name, {
    shape: tensor.shape, dtype: tensor.dtype,
    about: ` (nn.${module.type} ${tensor.name} of ${module.source})`,
    write: (data: FloatArray) => tensor.write(data),
  }]));
}

function tapegradExpected(model: Module): Map<string, Expected> {
  return new Map(model.namedState().map(([name, p]) => [name, {
    shape: p.shape, dtype: p.dtype, about: "", write: (data: FloatArray) => p.data.set(data),
  }]));
}

// Two mistakes worth naming: tapegrad version 1 names without their metadata, and a state_dict
// saved from a module that holds the Sequential as an attribute (`net.0.weight`).
function namesHint(missing: readonly string[], extra: readonly string[]): string {
  if (missing.length === 0 || extra.length === 0) return "";
  if (extra.some((name) => /^layers\.\d+\./.test(name))) {
    return '. Names like "layers.0.weight" are tapegrad\'s version 1 layout ' +
      "(weights [in, out]), " +
      'but the file\'s metadata lacks format "tapegrad", version "1"';
  }
  const first = extra.find((name) => name.endsWith(`.${missing[0]}`));
  if (first === undefined) return "";
  const prefix = first.slice(0, first.length - missing[0].length);
  if (!missing.every((name) => extra.includes(prefix + name))) return "";
  return `. The file's names carry the prefix "${prefix}" (a state_dict of a module holding the ` +
    "nn.Sequential as an attribute); save that attribute's state_dict instead";
}

function list(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
}
