// Training data from nested arrays, typed arrays or tensors: checked once against the model and
// its objective, kept without copies (rows are picked by index), split for validation.
import { type NestedArray, ShapeError, Tensor, formatShape, tensor } from "@tapegrad/core";
import { inputShapeOf, dtypeOf, layersOf, outputSizeOf } from "./model-shape.js";
import type { Module } from "./module.js";
import {
  type Objective, type ObjectiveOptions, type TargetKind, isOneHot, resolveObjective,
} from "./objective.js";

/** Values of x or y: a tensor, nested arrays, or a flat array (a typed array, say). */
export type Values = Tensor | NestedArray | ArrayLike<number>;

/**
 * Samples to train on or evaluate: inputs `x` ([samples, features]; a flat array is cut into
 * rows of the model's input size) and targets `y`: one class label per sample (a flat array of
 * integers, for models with several outputs), one value per sample (one output: 0/1 labels or
 * regression targets), or a [samples, outputs] matrix (one-hot, multi-hot or real values).
 * `indices` picks rows (default all), so splits can share one array without copies.
 * @example { x: [[0.1, 2], [1.5, -1]], y: [0, 1] }
 */
export interface Data {
  readonly x: Values;
  readonly y: Values;
  readonly indices?: ArrayLike<number>;
}

/** Data checked against a model: x as a tensor and targets as labels or a value tensor. */
export interface Dataset {
  /** [samples, ...features]. */
  readonly x: Tensor;
  /** Integer class labels by row of x, or null when the targets are values. */
  readonly labels: ArrayLike<number> | null;
  /** [samples, outputs] target values by row of x, or null for labels. */
  readonly targets: Tensor | null;
  /** The rows used. */
  readonly indices: Int32Array;
  readonly objective: Objective;
}

const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;
const isNested = (v: unknown): v is NestedArray[] =>
  Array.isArray(v) && v.length > 0 && v.some((row) => Array.isArray(row));
const isFlat = (v: unknown): v is ArrayLike<number> =>
  !isTensor(v) && typeof v === "object" && v !== null &&
  typeof (v as ArrayLike<number>).length === "number" && !isNested(v);

/** `values` copied into a new array of `dtype`. */
const floats = (dtype: "float32" | "float64", values: ArrayLike<number>) =>
  dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);

/**
 * Checks `data` against `model` and decides the objective ({@link resolveObjective}) from the
 * model, `options` and the targets' form. Nothing is copied except arrays turned into tensors.
 * `where` names the caller in errors ("fit", "fit: validationData", "evaluate").
 */
export function prepareData(
  model: Module, data: Data, options: ObjectiveOptions = {}, where = "fit",
): Dataset {
  if (typeof data !== "object" || data === null || !("x" in data) || !("y" in data)) {
    throw new TypeError(`${where}: data must be { x, y } (and optionally indices)`);
  }
  const x = toInputs(model, data.x, where);
  checkOutputShape(model, where);
  const n = x.shape[0];
  const indices = toIndices(data.indices, n, where);
  checkIds(model, x, indices, where);
  const outputs = outputSizeOf(model, where);
  const y = toTargets(data.y, n, outputs, dtypeOf(model), where);
  const kind: TargetKind = y.labels !== null ? "labels"
    : isOneHot(y.targets as Tensor, indices) ? "oneHot" : "values";
  const objective = resolveObjective(model, options, kind, where);
  if (y.labels !== null) checkLabels(y.labels, indices, objective, where);
  else if (objective.loss === "bce") checkProbabilities(y.targets as Tensor, indices, where);
  return { x, labels: y.labels, targets: y.targets, indices, objective };
}

/**
 * The last `fraction` of `data`'s rows as validation data and the rest for training, before
 * any shuffling (as Keras's validation_split).
 */
export function splitValidation(
  data: Dataset, fraction: number, where = "fit",
): { train: Dataset; validation: Dataset } {
  if (!(typeof fraction === "number" && fraction > 0 && fraction < 1)) {
    throw new RangeError(`${where}: validationSplit must be a number in (0, 1); got ${fraction}`);
  }
  const at = Math.floor(data.indices.length * (1 - fraction));
  if (at === 0 || at === data.indices.length) {
    throw new RangeError(`${where}: validationSplit ${fraction} of ${data.indices.length} ` +
      "samples leaves one side empty");
  }
  return {
    train: { ...data, indices: data.indices.subarray(0, at) },
    validation: { ...data, indices: data.indices.subarray(at) },
  };
}

function toInputs(model: Module, x: Values, where: string): Tensor {
  const dtype = dtypeOf(model);
  const shape = inputShapeOf(model);
  const inputs = shape === null ? null : shape.reduce((a, b) => a * b, 1);
  let t: Tensor;
  // Data is not differentiated: a tensor recorded for gradients is used through a detached view.
  if (isTensor(x)) t = x.requiresGrad ? x.detach() : x;
  else if (isNested(x)) t = tensor(x, { dtype });
  else if (isFlat(x)) {
    checkNumbers(x, "x", where);
    if (inputs === null) {
      throw new ShapeError(`${where}: x is a flat array, and this model does not say how many ` +
        "features a sample has; pass x as [samples, features] nested arrays or a tensor");
    }
    if (x.length % inputs !== 0) {
      throw new ShapeError(`${where}: x has ${x.length} values, not a multiple of the model's ` +
        `${inputs} input features`);
    }
    t = new Tensor(floats(dtype, x), [x.length / inputs, ...(shape as number[])]);
  } else {
    throw new TypeError(`${where}: x must be a Tensor, nested arrays or a flat array; got ` +
      (x === null ? "null" : typeof x));
  }
  if (t.rank === 1 && inputs === 1) t = t.reshape([t.size, 1]);
  if (t.rank < 2) {
    throw new ShapeError(`${where}: x must be [samples, features]; got ${formatShape(t.shape)}`);
  }
  if (t.shape[0] === 0) throw new RangeError(`${where}: x has no samples`);
  if (shape !== null && shape.length === 1 && t.rank === 2 && t.shape[1] !== inputs) {
    throw new ShapeError(`${where}: x has ${t.shape[1]} features per sample but the model ` +
      `takes ${inputs}; x is ${formatShape(t.shape)}`);
  }
  if (shape !== null && (t.rank !== shape.length + 1 ||
    shape.some((d, i) => d !== t.shape[i + 1]))) {
    const perSample = t.size / t.shape[0];
    const hint = perSample === inputs
      ? ` (the same values per sample: x.reshape([-1, ${shape.join(", ")}]))` : "";
    throw new ShapeError(`${where}: x must be [samples, ${shape.join(", ")}] for this model, ` +
      `whose input is ${formatShape(shape)}; got ${formatShape(t.shape)}${hint}`);
  }
  return t;
}

/**
 * A model that starts with an embedding takes integer ids: one out of range is named here by
 * its sample, not later by its position in a shuffled batch.
 */
function checkIds(model: Module, x: Tensor, indices: Int32Array, where: string): void {
  // Read from the layer, not by importing Embedding: a bundle without it stays without it.
  const count = (layersOf(model)?.[0] as { numEmbeddings?: unknown } | undefined)?.numEmbeddings;
  if (typeof count !== "number") return;
  const width = x.size / x.shape[0];
  for (const r of indices) {
    for (let j = 0; j < width; j++) {
      const id = x.data[r * width + j];
      if (Number.isInteger(id) && id >= 0 && id < count) continue;
      throw new RangeError(`${where}: x[${r}] holds ${id} (value ${j} of the sample); the ` +
        `embedding layer takes integer ids in [0, ${count})`);
    }
  }
}

/** The losses and metrics take [samples, outputs]: a model whose output per sample is more. */
function checkOutputShape(model: Module, where: string): void {
  const shape = (model as { outputShape?: unknown }).outputShape;
  if (!Array.isArray(shape) || shape.length <= 1) return;
  throw new ShapeError(`${where}: the model's output per sample is ${formatShape(shape)}; ` +
    "training and evaluation need one vector of outputs per sample (add a flatten or " +
    "globalAvgPool2d layer before the last dense layer)");
}

function toIndices(given: ArrayLike<number> | undefined, n: number, where: string): Int32Array {
  if (given === undefined) return Int32Array.from({ length: n }, (_, i) => i);
  const indices = given instanceof Int32Array ? given : Int32Array.from(given);
  for (let i = 0; i < given.length; i++) {
    const r = given[i];
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new RangeError(`${where}: indices[${i}] is ${r}; rows of x are 0 to ${n - 1}`);
    }
  }
  if (indices.length === 0) throw new RangeError(`${where}: indices is empty`);
  return indices;
}

/**
 * A plain array must hold numbers: Float32Array.from would read null as 0 and "1.5" as 1.5,
 * so a missing value in a CSV would train as a 0. Typed arrays hold numbers already.
 */
function checkNumbers(values: ArrayLike<unknown>, name: string, where: string): void {
  if (!Array.isArray(values)) return;
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v === "number" || typeof v === "boolean") continue;
    const what = typeof v === "string" ? `the string ${JSON.stringify(v.slice(0, 20))}`
      : v === null || v === undefined ? String(v) : typeof v;
    const hint = typeof v !== "string" ? "a missing value?"
      : v.trim() !== "" && Number.isFinite(Number(v)) ? "convert with Number()"
        : "map each class name to an integer label, 0, 1, …";
    throw new TypeError(`${where}: ${name}[${i}] is ${what}; ${name} must hold numbers (${hint})`);
  }
}

interface Targets {
  readonly labels: ArrayLike<number> | null;
  readonly targets: Tensor | null;
}

function toTargets(
  y: Values, n: number, outputs: number, dtype: "float32" | "float64", where: string,
): Targets {
  const matrix = (t: Tensor): Targets => {
    if (t.rank !== 2 || t.shape[0] !== n || t.shape[1] !== outputs) {
      throw new ShapeError(`${where}: y must have one row of ${outputs} per sample, ` +
        `[${n}, ${outputs}], or one value per sample; got ${formatShape(t.shape)}`);
    }
    return { labels: null, targets: t.dtype === dtype ? t : t.astype(dtype) };
  };
  const perSample = (values: ArrayLike<number>): Targets => outputs > 1
    ? { labels: values, targets: null }
    : matrix(new Tensor(floats(dtype, values), [n, 1]));
  if (isTensor(y)) {
    if (y.rank === 1 && y.size === n) return perSample(y.data);
    if (y.rank === 2 && y.shape[1] === 1 && outputs > 1 && y.shape[0] === n) {
      return perSample(y.data);
    }
    return matrix(y);
  }
  if (isNested(y)) return matrix(tensor(y, { dtype }));
  if (isFlat(y)) {
    checkNumbers(y, "y", where);
    if (y.length === n) return perSample(y);
    if (y.length === n * outputs) {
      return matrix(new Tensor(floats(dtype, y), [n, outputs]));
    }
    throw new ShapeError(`${where}: y has ${y.length} values for ${n} samples; give one label ` +
      `or value per sample, or ${outputs} per sample (${n * outputs})`);
  }
  throw new TypeError(`${where}: y must be a Tensor, nested arrays or a flat array; got ` +
    (y === null ? "null" : typeof y));
}

function checkLabels(
  labels: ArrayLike<number>, indices: Int32Array, objective: Objective, where: string,
): void {
  if (objective.task === "regression" || objective.task === "multilabel") {
    throw new ShapeError(`${where}: a ${objective.task} task needs y as [samples, ` +
      `${objective.outputs}] values; got one value per sample`);
  }
  for (const r of indices) {
    const label = labels[r];
    if (!Number.isInteger(label) || label < 0 || label >= objective.classes) {
      throw new RangeError(`${where}: y[${r}] is ${label}; class labels must be integers in ` +
        `[0, ${objective.classes})`);
    }
  }
}

/** BCE targets are probabilities: every used value in [0, 1] (0/1 labels, or soft targets). */
function checkProbabilities(targets: Tensor, indices: Int32Array, where: string): void {
  const k = targets.shape[1];
  for (const r of indices) {
    for (let j = 0; j < k; j++) {
      const v = targets.data[r * k + j];
      if (!(v >= 0 && v <= 1)) {
        const at = k === 1 ? `y[${r}]` : `y[${r}][${j}]`;
        throw new RangeError(`${where}: ${at} is ${v}; bce targets must be in [0, 1] ` +
          "(0/1 labels or probabilities)");
      }
    }
  }
}
