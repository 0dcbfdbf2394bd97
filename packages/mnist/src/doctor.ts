// doctor: diagnose a fresh (untrained) model on one batch of MNIST, without training.
import { Tensor, gather, oneHot } from "@tapegrad/core";
import type { DataSplit } from "./dataset.js";
import {
  type Finding, type LossName, type ModelSpec, diagnose, fromSpec, resolveObjective, seedSpec,
} from "@tapegrad/nn";
import { loadMnist } from "./dataset.js";
import { checkShape } from "./splits.js";
import { type InputLimits, specLimits } from "./input-limits.js";

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** Default: the seed network. */
  readonly spec?: ModelSpec;
  /** "zeros" initialises every weight and bias to 0 (the seed question's mistake). */
  readonly init?: "spec" | "zeros";
  readonly dataDir?: string;
  /** Samples in the diagnosed batch, the first training samples (default 256). */
  readonly batchSize?: number;
  /** Learning rate for the update/weight-ratio check (default 1e-3). */
  readonly learningRate?: number;
  /** Bounds on the spec and the IDX files (defaults: docs/limits.md). */
  readonly limits?: InputLimits;
}

/** The spec with every dense and convolution layer's weights and biases (and every embedding
 * table) initialised to zero. */
export function zeroInitSpec(spec: ModelSpec): ModelSpec {
  return {
    ...spec,
    layers: spec.layers.map((l) => {
      if (l.type === "dense" || l.type === "conv2d" || l.type === "conv1d") {
        return { ...l, init: "zeros", biasInit: "zeros" };
      }
      return l.type === "embedding" ? { ...l, init: "zeros" } : l;
    }),
  };
}

/**
 * Builds the model and runs @tapegrad/nn's `diagnose` on the first `batchSize` training images
 * with the loss training would use; returns its findings (errors first).
 * @example formatFindings(await runDoctor({ init: "zeros" })) // zero-weights, baseline, …
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<Finding[]> {
  const batchSize = options.batchSize ?? 256;
  const base = options.spec ?? seedSpec();
  const { maxBytes: _, ...bounds } = specLimits(options.limits);
  const model = fromSpec(options.init === "zeros" ? zeroInitSpec(base) : base, bounds);
  const maxBytes = options.limits?.maxIdxBytes;
  const data = await loadMnist({
    dataDir: options.dataDir, limit: batchSize, validation: 0,
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
  const { loss } = resolveObjective(model, {}, "labels", "doctor");
  const shape = checkShape(data.train, model.inputShape);
  const { x, y } = probeBatch(data.train, batchSize, data.classes, loss, shape);
  return diagnose(model, { x, y }, { loss, learningRate: options.learningRate ?? 1e-3 });
}

/**
 * The first `count` samples of a split as a batch for diagnose(): images [count, 784] (or
 * [count, ...inputShape]) and targets in the form the loss uses (one-hot for BCE, class indices
 * for cross-entropy).
 */
export function probeBatch(
  split: DataSplit, count: number, classes: number, kind: LossName,
  inputShape: readonly number[] = [split.images.shape[1]],
): { x: Tensor; y: Tensor } {
  const index = split.indices.subarray(0, Math.min(count, split.indices.length));
  const x = gather(split.images, index).reshape([index.length, ...inputShape]);
  const labels = Int32Array.from(index, (i) => split.labels[i]);
  const y = kind === "bce"
    ? oneHot(labels, classes)
    : new Tensor(Float32Array.from(labels), [labels.length]);
  return { x, y };
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * One line that sums up doctor's findings, worst first: `doctor: 2 errors, 1 warning — this
 * model will not learn: <the first error>`, or `doctor: no problems found` (with the count of
 * informational notes, if any).
 */
export function doctorVerdict(findings: readonly Finding[]): string {
  const of = (severity: Finding["severity"]) => findings.filter((f) => f.severity === severity);
  const [errors, warnings, notes] = [of("error"), of("warning"), of("info")];
  const noted = notes.length > 0 ? ` (${count(notes.length, "note")} below)` : "";
  if (errors.length === 0 && warnings.length === 0) return `doctor: no problems found${noted}`;
  const counts = [
    errors.length > 0 ? count(errors.length, "error") : "",
    warnings.length > 0 ? count(warnings.length, "warning") : "",
  ].filter(Boolean).join(", ");
  const verdict = errors.length > 0
    ? `this model will not learn: ${errors[0].message}`
    : `it may learn slowly or badly: ${warnings[0].message}`;
  return `doctor: ${counts} — ${verdict}`;
}
