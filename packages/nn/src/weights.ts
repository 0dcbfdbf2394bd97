// Weights as bytes: a model's parameters to and from safetensors (no file system: runs anywhere).
import { Tensor, formatShape } from "@tapegrad/core";
import type { Module } from "./module.js";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.js";

/** `__metadata__.format` of the weight files tapegrad writes. */
export const WEIGHTS_FORMAT = "tapegrad";
/** `__metadata__.version`: the layout version of those files (parameters by dotted name). */
export const WEIGHTS_VERSION = "1";
/** File names inside a model directory. */
export const SPEC_FILE = "spec.json";
export const WEIGHTS_FILE = "model.safetensors";

/**
 * The parameters of `model` as safetensors bytes, by their dotted names (`layers.0.weight`),
 * with `__metadata__` `{ format: "tapegrad", version: "1", ...metadata }`.
 * @example const bytes = modelToSafetensors(model); // in Node: writeFileAtomic(path, bytes)
 */
export function modelToSafetensors(
  model: Module, metadata: Record<string, string> = {},
): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, p] of model.namedParameters()) {
    tensors[name] = { dtype: p.dtype, shape: [...p.shape], data: p.data };
  }
  const meta = { ...metadata, format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION };
  return encodeSafetensors(tensors, meta);
}

/**
 * Copies the tensors of a safetensors file into `model`'s parameters. The names must match
 * exactly (no missing or extra tensors) and each tensor must have its parameter's shape and
 * dtype; otherwise nothing is changed and the error names `source` (a file name) and the
 * tensors. Returns the file's `__metadata__`.
 * @example loadSafetensorsInto(model, await readFile("ckpt.safetensors"), "ckpt.safetensors");
 */
export function loadSafetensorsInto(
  model: Module, bytes: Uint8Array, source = "safetensors",
): Record<string, string> {
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (err) {
    const why = (err as Error).message;
    throw new Error(`${source}: not a valid safetensors file: ${why}`, { cause: err });
  }
  const { tensors, metadata } = decoded;
  if (metadata.format === WEIGHTS_FORMAT && metadata.version !== WEIGHTS_VERSION) {
    throw new Error(
      `${source}: unsupported tapegrad weights version; got ${JSON.stringify(metadata.version)}, ` +
        `expected "${WEIGHTS_VERSION}"`,
    );
  }
  const own = new Map(model.namedParameters());
  const missing = [...own.keys()].filter((k) => !Object.hasOwn(tensors, k));
  const extra = Object.keys(tensors).filter((k) => !own.has(k));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing tensors ${list(missing)}`);
  if (extra.length > 0) problems.push(`unexpected tensors ${list(extra)}`);
  const state: Record<string, Tensor> = {};
  for (const [name, p] of own) {
    if (!Object.hasOwn(tensors, name)) continue;
    const t = tensors[name];
    const sameShape = t.shape.length === p.rank && t.shape.every((d, i) => d === p.shape[i]);
    if (!sameShape || t.dtype !== p.dtype) {
      problems.push(
        `tensor "${name}" is ${t.dtype} ${formatShape(t.shape)} but the model expects ` +
          `${p.dtype} ${formatShape(p.shape)}`,
      );
      continue;
    }
    state[name] = new Tensor(t.data, t.shape);
  }
  if (problems.length > 0) {
    throw new Error(`${source}: weights do not match the model: ${problems.join("; ")}`);
  }
  model.loadStateDict(state);
  return metadata;
}

function list(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
}
