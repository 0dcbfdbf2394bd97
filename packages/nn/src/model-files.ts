// A model directory on disk (Node only): dir/spec.json + dir/model.safetensors, written atomically.
import { mkdir, readFile, stat } from "node:fs/promises";
import { checkOptions } from "@tapegrad/core";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { describeValue } from "./describe.js";
import { Model, SPEC_LIMITS, type SpecTextOptions, fromSpec, parseSpecText } from "./spec.js";
import { SPEC_LAYERS } from "./spec-layers.js";
import { SPEC_FILE, WEIGHTS_FILE, loadSafetensorsInto, modelToSafetensors } from "./weights.js";

/**
 * Saves `model` to `dir` (created if needed) as `spec.json` and `model.safetensors`, each
 * written atomically. The weights also carry the spec in their metadata, so `loadModel`
 * detects a pair from two different saves (a save interrupted between the two files).
 * @example await saveModel(model, "runs/xor"); const again = await loadModel("runs/xor");
 */
export async function saveModel(model: Model, dir: string): Promise<void> {
  if (!(model instanceof Model)) {
    throw new TypeError("saveModel: model must be a Model made by fromSpec (it saves the " +
      `spec); got ${describeValue(model)}; save the weights of other modules with ` +
      "modelToSafetensors");
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new Error(`saveModel: cannot create the folder ${dir}: ${reason(err)}`, { cause: err });
  }
  const spec = model.toSpec();
  await writeFileAtomic(join(dir, WEIGHTS_FILE), modelToSafetensors(model, {
    spec: JSON.stringify(spec),
  }));
  await writeFileAtomic(join(dir, SPEC_FILE), `${JSON.stringify(spec, null, 2)}\n`);
}

/**
 * Loads a model saved by {@link saveModel}: validates `dir/spec.json` (within the size limits
 * of parseSpecText, which `options` raise), builds the model and loads `dir/model.safetensors`
 * into it. Errors name the file that is missing or wrong.
 * @example const model = await loadModel("runs/big", { maxParameters: 500_000_000 });
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  checkOptions("loadModel", options, ["maxParameters", "maxLayers", "maxBytes"]);
  const specPath = join(dir, SPEC_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  // Read as bytes (parseSpecText checks the UTF-8 and allows a byte-order mark), after
  // checking the size: a stranger's 2 GB spec.json is refused before it is read.
  const maxBytes = options.maxBytes ?? SPEC_LIMITS.maxBytes;
  const size = await fileSize(specPath);
  if (size > maxBytes) {
    throw new Error(
      `loadModel: ${specPath} is ${size} bytes long; the limit is ${maxBytes} (raise the ` +
        "maxBytes option)",
    );
  }
  const source = `loadModel: ${specPath}`;
  const spec = parseSpecText(await read(specPath), { ...options, source });
  const model = fromSpec(spec, { layers: SPEC_LAYERS });
  const metadata = loadSafetensorsInto(model, await read(weightsPath), `loadModel: ${weightsPath}`);
  // Weights saved by saveModel name their spec; files from elsewhere may not.
  if (metadata.spec !== undefined && metadata.spec !== JSON.stringify(spec)) {
    throw new Error(
      `loadModel: ${specPath} and ${weightsPath} come from different saves (the weights ` +
        "record another spec); was a save interrupted?",
    );
  }
  return model;
}

/** Options of {@link loadModel}: the size limits of parseSpecText. */
export type LoadModelOptions = Omit<SpecTextOptions, "source">;

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // read() reports a missing or unreadable file with the reason
  }
}

async function read(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`loadModel: cannot read ${path}: ${reason(err)}`, { cause: err });
  }
}

/** A file-system error in words, for the common codes; the system's message otherwise. */
function reason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case "ENOENT": return "file not found";
    case "EEXIST": return "a file of that name is in the way";
    case "ENOTDIR": return "a part of the path is a file, not a folder";
    case "EISDIR": return "it is a folder, not a file";
    case "EACCES": case "EPERM": return "permission denied";
    default: return (err as Error).message;
  }
}
