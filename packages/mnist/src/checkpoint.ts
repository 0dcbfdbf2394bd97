// Training checkpoints: one directory per epoch, made current by atomically rewriting a pointer.
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { type RngState, checkOptions } from "@tapegrad/core";
import {
  type History, type Model, type Optimizer, type OptimizerState, type SafeTensor, SPEC_LIMITS,
  type SpecTextOptions, decodeSafetensors, encodeSafetensors, fromSpec, loadSafetensorsInto,
  modelToSafetensors, parseSpecText,
} from "@tapegrad/nn";
import { removeStaleTempFiles, writeFileAtomic } from "@tapegrad/nn/node";
import { readFileWithin } from "./bounded-read.js";
import { createFolder } from "./out-folder.js";

/** File names inside a checkpoint directory `DIR/epoch-<n>/`. */
export const CHECKPOINT_FILES = {
  weights: "model.safetensors",
  spec: "spec.json",
  optimizer: "optimizer.safetensors",
  state: "state.json",
} as const;

/** The pointer file in `DIR` naming the current epoch directory. */
export const CHECKPOINT_POINTER = "checkpoint.json";

const FORMAT = "tapegrad-mnist-checkpoint";

/** Everything besides tensors that a checkpoint stores (state.json). */
export interface CheckpointState<Config = unknown> {
  readonly format: typeof FORMAT;
  readonly version: 1;
  /** Epochs completed. */
  readonly epoch: number;
  readonly history: History;
  /** The shuffling generator's state after `epoch` epochs. */
  readonly rng: RngState;
  /** Optimizer type and step count; its buffers are in optimizer.safetensors. */
  readonly optimizer: { readonly type: string; readonly step: number; readonly parameters: number };
  /** The run's settings (model spec excluded; it is in spec.json). */
  readonly config: Config;
  /** Epochs after which the run was resumed (absent in older checkpoints). */
  readonly resumedAfter?: readonly number[];
  /** The model's dropout generator after `epoch` epochs (absent before dropout layers). */
  readonly dropoutRng?: RngState;
}

/** A checkpoint read back from disk. */
export interface LoadedCheckpoint<Config = unknown> {
  readonly dir: string;
  /** The model rebuilt from spec.json with the saved weights loaded. */
  readonly model: Model;
  readonly optimizer: OptimizerState;
  readonly state: CheckpointState<Config>;
}

/** What {@link saveCheckpoint} writes. */
export interface CheckpointContents<Config = unknown> {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly rng: RngState;
  readonly history: History;
  readonly config: Config;
  /** Epochs after which the run was resumed, kept for the loss curve's marks. */
  readonly resumedAfter?: readonly number[];
}

function epochDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}`;
}

/**
 * Writes `DIR/epoch-<n>/` (weights, spec, optimizer buffers, state.json with the epoch, history,
 * RNG state and config), then atomically points `DIR/checkpoint.json` at it and removes older
 * epoch directories. A crash at any moment leaves the previous checkpoint intact and current.
 * @returns the epoch directory written.
 */
export async function saveCheckpoint<Config>(
  dir: string, contents: CheckpointContents<Config>,
): Promise<string> {
  const epoch = contents.history.epochs.length;
  const name = epochDirName(epoch);
  const target = join(dir, name);
  await createFolder(dir, "saveCheckpoint:");
  await rm(target, { recursive: true, force: true }); // a leftover from a crashed attempt
  await mkdir(target); // not recursive: that loops forever under /proc on Node 20
  const optimizerState = contents.optimizer.stateDict();
  const buffers: Record<string, SafeTensor> = {};
  optimizerState.buffers.forEach((record, i) => {
    for (const [key, values] of Object.entries(record)) {
      buffers[`params.${i}.${key}`] = {
        dtype: "float64", shape: [values.length], data: Float64Array.from(values),
      };
    }
  });
  const state: CheckpointState<Config> = {
    format: FORMAT, version: 1, epoch, history: contents.history, rng: contents.rng,
    optimizer: {
      type: optimizerState.type,
      step: optimizerState.step,
      parameters: optimizerState.buffers.length,
    },
    config: contents.config,
    resumedAfter: [...(contents.resumedAfter ?? [])],
    dropoutRng: contents.model.dropoutRng.getState(),
  };
  const weights = modelToSafetensors(contents.model, { epoch: String(epoch) });
  // Each file is synced to disk before the pointer moves, so a crash (even a power cut)
  // never leaves the pointer naming a half-written epoch.
  const spec = `${JSON.stringify(contents.model.toSpec(), null, 2)}\n`;
  await writeFileAtomic(join(target, CHECKPOINT_FILES.weights), weights);
  await writeFileAtomic(join(target, CHECKPOINT_FILES.optimizer), encodeSafetensors(buffers));
  await writeFileAtomic(join(target, CHECKPOINT_FILES.spec), spec);
  await writeFileAtomic(join(target, CHECKPOINT_FILES.state), `${JSON.stringify(state)}\n`);
  await writeFileAtomic(
    join(dir, CHECKPOINT_POINTER),
    `${JSON.stringify({ format: FORMAT, epoch, path: name }, null, 2)}\n`,
  );
  for (const entry of await readdir(dir)) {
    if (/^epoch-\d+$/.test(entry) && entry !== name) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  return target;
}

/** Options of {@link loadCheckpoint}: the spec limits (see @tapegrad/nn's parseSpecText). */
export type LoadCheckpointOptions = Omit<SpecTextOptions, "source">;

// V8 cannot hold a longer string, so no longer JSON file can be parsed.
const MAX_JSON_BYTES = (1 << 29) - 24;
// A safetensors header is at most 4 MiB by default (decodeSafetensors' maxHeaderBytes).
const MAX_HEADER_BYTES = 4 * 1024 * 1024;

async function readJson(path: string, what: string, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  const where = `loadCheckpoint: ${what} ${path}`;
  const bytes = await readFileWithin(path, { where, maxBytes });
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`loadCheckpoint: ${path} is not valid JSON; ${(error as Error).message}`);
  }
}

/** False only when nothing is there: any other trouble is for the reader to report. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/**
 * Finds the current epoch directory of `dir`: `dir/checkpoint.json`'s target, or `dir` itself
 * when it is an epoch directory (holds state.json).
 */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) {
    throw new Error(`loadCheckpoint: ${dir} is not a checkpoint: no such folder`);
  }
  if (!info.isDirectory()) {
    throw new Error(`loadCheckpoint: ${dir} is not a checkpoint: it is a file, not a folder`);
  }
  const pointerPath = join(dir, CHECKPOINT_POINTER);
  if (!(await exists(pointerPath))) {
    if (await exists(join(dir, CHECKPOINT_FILES.state))) return dir;
    throw new Error(
      `loadCheckpoint: ${dir} is not a checkpoint ` +
        `(no ${CHECKPOINT_POINTER} or ${CHECKPOINT_FILES.state})`,
    );
  }
  const pointer = await readJson(pointerPath, "pointer", 1 << 20) as
    { format?: string; path?: unknown };
  if (pointer?.format !== FORMAT || typeof pointer.path !== "string" ||
    !/^epoch-\d+$/.test(pointer.path)) {
    throw new Error(`loadCheckpoint: ${pointerPath} is not a ${FORMAT} pointer`);
  }
  return join(dir, pointer.path);
}

/**
 * The state.json of the current checkpoint of `dir` (epochs done, settings, history) without
 * the model: cheap, for deciding what a resume would do.
 */
export async function readCheckpointState<Config = unknown>(
  dir: string,
): Promise<{ dir: string; state: CheckpointState<Config> }> {
  const epochDir = await resolveCheckpointDir(dir);
  const statePath = join(epochDir, CHECKPOINT_FILES.state);
  const state = await readJson(statePath, "state") as CheckpointState<Config>;
  if (state?.format !== FORMAT || state.version !== 1 || !Number.isInteger(state.epoch) ||
    typeof state.optimizer !== "object" || state.optimizer === null) {
    throw new Error(`loadCheckpoint: ${statePath} is not a version 1 ${FORMAT} state file`);
  }
  return { dir: epochDir, state };
}

/**
 * Reads the current checkpoint of `dir` (see {@link resolveCheckpointDir}): the model (spec.json
 * validated within `options`' limits and built, weights loaded), the optimizer state and
 * state.json. Every file's size is checked before it is read. An epoch directory is also a
 * model directory for @tapegrad/nn's `loadModel`.
 */
export async function loadCheckpoint<Config = unknown>(
  dir: string, options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint<Config>> {
  checkOptions("loadCheckpoint", options, ["maxParameters", "maxLayers", "maxBytes"]);
  const { dir: epochDir, state } = await readCheckpointState<Config>(dir);
  const specPath = join(epochDir, CHECKPOINT_FILES.spec);
  const where = `loadCheckpoint: ${specPath}`;
  const specText = await readFileWithin(specPath, {
    where, maxBytes: options.maxBytes ?? SPEC_LIMITS.maxBytes, raise: "raise the maxBytes option",
  });
  const model = fromSpec(parseSpecText(specText, { ...options, source: where }));
  // Float64 values at most (or int64 counts), behind a header of at most 4 MiB: a bigger file
  // is not this model's.
  const values = [...model.parameters(), ...model.buffers()].reduce((n, p) => n + p.size, 0);
  const weightsPath = join(epochDir, CHECKPOINT_FILES.weights);
  const why = `what a model of ${values} parameters, as its spec.json says, can take`;
  const weights = await readFileWithin(weightsPath, {
    where: `loadCheckpoint: ${weightsPath}`, maxBytes: 8 + MAX_HEADER_BYTES + 8 * values,
    raise: why,
  });
  loadSafetensorsInto(model, weights, weightsPath);
  const optimizerPath = join(epochDir, CHECKPOINT_FILES.optimizer);
  const optimizerBytes = await readFileWithin(optimizerPath, {
    // At most three float64 buffers per value (SGD momentum; Adam's two moments).
    where: `loadCheckpoint: ${optimizerPath}`, maxBytes: 8 + MAX_HEADER_BYTES + 24 * values,
    raise: why,
  });
  const buffers: Array<Record<string, number[]>> = [];
  for (const [key, t] of Object.entries(decodeSafetensors(optimizerBytes).tensors)) {
    const match = /^params\.(\d+)\.(\w+)$/.exec(key);
    if (!match) throw new Error(`loadCheckpoint: ${optimizerPath}: unexpected tensor "${key}"`);
    const i = Number(match[1]);
    buffers[i] ??= {};
    buffers[i][match[2]] = Array.from(t.data);
  }
  for (let i = 0; i < state.optimizer.parameters; i++) buffers[i] ??= {};
  restoreDropoutRng(model, state, join(epochDir, CHECKPOINT_FILES.state));
  const optimizer: OptimizerState = {
    type: state.optimizer.type, step: state.optimizer.step, buffers,
  };
  return { dir: epochDir, model, optimizer, state };
}

// Dropout masks continue where the saved run left off; a model with dropout needs the state.
function restoreDropoutRng(model: Model, state: CheckpointState, statePath: string): void {
  const hasDropout = model.toSpec().layers.some((l) => l.type === "dropout");
  if (state.dropoutRng === undefined) {
    if (!hasDropout) return;
    throw new Error(`loadCheckpoint: ${statePath} lacks dropoutRng, the state of the model's ` +
      "dropout generator, which resuming a model with dropout layers needs");
  }
  try {
    model.dropoutRng.setState(state.dropoutRng);
  } catch (error) {
    throw new Error(`loadCheckpoint: ${statePath}: dropoutRng: ${(error as Error).message}`,
      { cause: error });
  }
}

/**
 * Tidies a run folder before a new run writes into it: removes the temp files a killed
 * writer left (in `dir` and its epoch directories; see removeStaleTempFiles) and, when
 * `dir/checkpoint.json` names the current epoch, the other epoch directories (half-written
 * by a kill before the pointer moved). Nothing else is touched.
 * @returns the paths removed, relative to `dir`.
 */
export async function cleanCheckpointFolder(dir: string): Promise<string[]> {
  const removed = await removeStaleTempFiles(dir);
  const epochDirs = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && /^epoch-\d+$/.test(e.name)).map((e) => e.name);
  // Without a valid pointer the folder is not known to be a run's: its epoch directories stay.
  const resolved = await resolveCheckpointDir(dir).catch(() => dir);
  const current = resolved === dir ? undefined : basename(resolved);
  for (const name of epochDirs.sort()) {
    if (current !== undefined && name !== current) {
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(`${name}/`);
      continue;
    }
    removed.push(...(await removeStaleTempFiles(join(dir, name))).map((f) => join(name, f)));
  }
  return removed;
}
