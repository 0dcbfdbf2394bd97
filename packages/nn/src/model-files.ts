// A model directory on disk (Node only): dir/spec.json + dir/model.safetensors, written atomically.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { type Model, fromSpec, parseSpec } from "./spec.js";
import { SPEC_FILE, WEIGHTS_FILE, loadSafetensorsInto, modelToSafetensors } from "./weights.js";

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
