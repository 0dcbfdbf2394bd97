// Weights as bytes: a model's parameters to and from safetensors (no file system: runs anywhere).
import { checkOptions } from "@tapegrad/core";
import { checkChoice } from "./choices.js";
import type { Module } from "./module.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import {
  WEIGHTS_LAYOUTS, type WeightsLayout, layoutOf, loadWeightTensors, weightTensors,
} from "./weight-layouts.js";
import { checkBytes } from "./bytes-input.js";
import { NoTorchEquivalentError } from "./torch-layout.js";

export { WEIGHTS_FORMAT, WEIGHTS_VERSION } from "./weight-layouts.js";
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
  checkChoice(where, "layout", layout, WEIGHTS_LAYOUTS);
  let file;
  try {
    file = weightTensors(model, layout, where);
  } catch (err) {
    // A layer of the user's own has no PyTorch name: say how to save it anyway.
    if (!(err instanceof NoTorchEquivalentError)) throw err;
    throw new TypeError(`${err.message}; save such a model in tapegrad's own layout: ` +
      "modelToSafetensors(model, {}, { layout: \"tapegrad\" })", { cause: err });
  }
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
  checkBytes(`loadSafetensorsInto: bytes (${source})`, bytes);
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
