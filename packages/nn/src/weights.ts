// Weight files: a model as dir/spec.json + dir/model.safetensors, and safetensors checkpoints.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tensor, formatShape } from "@tapegrad/core";
import { writeFileAtomic } from "./atomic-write.js";
import type { Module } from "./module.js";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.js";
import { type Model, fromSpec, parseSpec } from "./spec.js";

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
 * @example await writeFileAtomic("step-100.safetensors", modelToSafetensors(model));
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

/**
 * Saves `model` to `dir` (created if needed) as `spec.json` and `model.safetensors`, each
 * written atomically. The weights also carry the spec in their metadata, so `loadModel`
 * detects a pair from two different saves (a save interrupted between the two files).
 * @example await saveModel(model, "runs/xor"); const again = await loadModel("runs/xor");
 */
export async function saveModel(model: Model, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const spec = model.toSpec();
  await writeFileAtomic(join(dir, WEIGHTS_FILE), modelToSafetensors(model, {
    spec: JSON.stringify(spec),
  }));
  await writeFileAtomic(join(dir, SPEC_FILE), `${JSON.stringify(spec, null, 2)}\n`);
}

/**
 * Loads a model saved by {@link saveModel}: validates `dir/spec.json`, builds the model and
 * loads `dir/model.safetensors` into it. Errors name the file that is missing or wrong.
 */
export async function loadModel(dir: string): Promise<Model> {
  const specPath = join(dir, SPEC_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const specText = await read(specPath, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(specText);
  } catch (err) {
    throw new Error(`loadModel: ${specPath} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const model = fromSpec(parseSpec(json, `loadModel: ${specPath}`));
  const metadata = loadSafetensorsInto(model, await read(weightsPath), `loadModel: ${weightsPath}`);
  // Weights saved by saveModel name their spec; files from elsewhere may not.
  if (metadata.spec !== undefined && metadata.spec !== JSON.stringify(json)) {
    throw new Error(
      `loadModel: ${specPath} and ${weightsPath} come from different saves (the weights ` +
        "record another spec); was a save interrupted?",
    );
  }
  return model;
}

async function read(path: string): Promise<Uint8Array>;
async function read(path: string, encoding: "utf8"): Promise<string>;
async function read(path: string, encoding?: "utf8"): Promise<Uint8Array | string> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : (err as Error).message;
    throw new Error(`loadModel: cannot read ${path}: ${why}`, { cause: err });
  }
}

function list(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
}
