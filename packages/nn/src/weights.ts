// Weight files: a model as dir/spec.json + dir/model.safetensors, and safetensors checkpoints.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkOptions } from "@tapegrad/core";
import { writeFileAtomic } from "./atomic-write.js";
import type { Module } from "./module.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { type Model, fromSpec, parseSpec } from "./spec.js";
import {
  TORCH_LAYOUT_METADATA, WEIGHTS_LAYOUTS, type WeightsLayout, layoutOf, loadWeightTensors,
  weightTensors,
} from "./weight-layouts.js";

/** `__metadata__.format` of the weight files tapegrad writes (PyTorch's layout, as "pt"). */
export const WEIGHTS_FORMAT = TORCH_LAYOUT_METADATA.format;
/** `__metadata__.version`: the layout version of those files ("1" was tapegrad's own). */
export const WEIGHTS_VERSION = TORCH_LAYOUT_METADATA.version;
/** File names inside a model directory. */
export const SPEC_FILE = "spec.json";
export const WEIGHTS_FILE = "model.safetensors";

/** Options of {@link modelToSafetensors}. */
export interface ModelToSafetensorsOptions {
  /** Names and layouts of the tensors (default "torch"); see {@link WeightsLayout}. */
  readonly layout?: WeightsLayout;
}

/**
 * The parameters of `model` as safetensors bytes, named and laid out as the equivalent
 * torch.nn.Sequential's `state_dict()` (`0.weight` `[out, in]`, `0.bias`; a Dense with an
 * activation takes two indices, Linear then the activation), so PyTorch loads them with
 * `load_state_dict(safetensors.torch.load_file(path), strict=True)`. `__metadata__` is
 * `{ ...metadata, format: "pt", producer: "tapegrad", version: "2" }`. With `layout: "tapegrad"`
 * the file has tapegrad's own names and layouts (version 1), for layers PyTorch lacks.
 * @example await writeFileAtomic("step-100.safetensors", modelToSafetensors(model));
 */
export function modelToSafetensors(
  model: Module, metadata: Record<string, string> = {}, options: ModelToSafetensorsOptions = {},
): Uint8Array {
  const where = "modelToSafetensors";
  const { layout = "torch" } = checkOptions(where, options, ["layout"]);
  if (!WEIGHTS_LAYOUTS.includes(layout)) {
    throw new RangeError(
      `${where}: layout must be one of ${WEIGHTS_LAYOUTS.join(", ")}; ` +
        `got ${JSON.stringify(layout)}`,
    );
  }
  const file = weightTensors(model, layout, where);
  return encodeSafetensors(file.tensors, { ...metadata, ...file.metadata });
}

/**
 * Copies the tensors of a safetensors file into `model`'s parameters: files in PyTorch's layout
 * (tapegrad's since version 2, or a torch.nn.Sequential's `state_dict()` saved by PyTorch), and
 * tapegrad version 1 files (metadata `format: "tapegrad"`, `version: "1"`). The names must match
 * exactly (no missing or extra tensors) and each tensor must have its shape and dtype; otherwise
 * nothing is changed and the error names `source` (a file name) and every tensor that differs.
 * Returns the file's `__metadata__`.
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
  loadWeightTensors(model, tensors, layoutOf(metadata, source), source);
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
