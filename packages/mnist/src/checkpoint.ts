// Training checkpoints: one directory per epoch, made current by atomically rewriting a pointer.
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RngState } from "@tapegrad/core";
import {
  type History, type Model, type Optimizer, type OptimizerState, type SafeTensor,
  decodeSafetensors, encodeSafetensors, fromSpec, loadSafetensorsInto, modelToSafetensors,
  parseSpecText,
} from "@tapegrad/nn";
import { writeFileAtomic } from "@tapegrad/nn/node";

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
  await rm(target, { recursive: true, force: true }); // a leftover from a crashed attempt
  await mkdir(target, { recursive: true });
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

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`loadCheckpoint: cannot read ${what} ${path}${code ? ` (${code})` : ""}`);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`loadCheckpoint: ${path} is not valid JSON; ${(error as Error).message}`);
  }
}

/**
 * Finds the current epoch directory of `dir`: `dir/checkpoint.json`'s target, or `dir` itself
 * when it is an epoch directory (holds state.json).
 */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  const pointerPath = join(dir, CHECKPOINT_POINTER);
  let pointerText: string | undefined;
  try {
    pointerText = await readFile(pointerPath, "utf8");
  } catch {
    pointerText = undefined;
  }
  if (pointerText === undefined) {
    try {
      await readFile(join(dir, CHECKPOINT_FILES.state));
    } catch {
      throw new Error(
        `loadCheckpoint: ${dir} is not a checkpoint ` +
          `(no ${CHECKPOINT_POINTER} or ${CHECKPOINT_FILES.state})`,
      );
    }
    return dir;
  }
  const pointer = parseJson(pointerText, pointerPath) as { format?: string; path?: unknown };
  if (pointer?.format !== FORMAT || typeof pointer.path !== "string" ||
    !/^epoch-\d+$/.test(pointer.path)) {
    throw new Error(`loadCheckpoint: ${pointerPath} is not a ${FORMAT} pointer`);
  }
  return join(dir, pointer.path);
}

/**
 * Reads the current checkpoint of `dir` (see {@link resolveCheckpointDir}): the model (spec.json
 * validated and built, weights loaded), the optimizer state and state.json. An epoch directory
 * is also a model directory for @tapegrad/nn's `loadModel`.
 */
export async function loadCheckpoint<Config = unknown>(
  dir: string,
): Promise<LoadedCheckpoint<Config>> {
  const epochDir = await resolveCheckpointDir(dir);
  const statePath = join(epochDir, CHECKPOINT_FILES.state);
  const state = parseJson(await readText(statePath, "state"), statePath) as CheckpointState<Config>;
  if (state?.format !== FORMAT || state.version !== 1) {
    throw new Error(`loadCheckpoint: ${statePath} is not a version 1 ${FORMAT} state file`);
  }
  const specPath = join(epochDir, CHECKPOINT_FILES.spec);
  const spec = parseSpecText(await readText(specPath, "spec"), `loadCheckpoint: ${specPath}`);
  const model = fromSpec(spec);
  const weightsPath = join(epochDir, CHECKPOINT_FILES.weights);
  loadSafetensorsInto(model, await readFile(weightsPath), weightsPath);
  const optimizerPath = join(epochDir, CHECKPOINT_FILES.optimizer);
  const buffers: Array<Record<string, number[]>> = [];
  for (const [key, t] of Object.entries(decodeSafetensors(await readFile(optimizerPath)).tensors)) {
    const match = /^params\.(\d+)\.(\w+)$/.exec(key);
    if (!match) throw new Error(`loadCheckpoint: ${optimizerPath}: unexpected tensor "${key}"`);
    const i = Number(match[1]);
    buffers[i] ??= {};
    buffers[i][match[2]] = Array.from(t.data);
  }
  for (let i = 0; i < state.optimizer.parameters; i++) buffers[i] ??= {};
  const optimizer: OptimizerState = {
    type: state.optimizer.type, step: state.optimizer.step, buffers,
  };
  return { dir: epochDir, model, optimizer, state };
}
