// Minibatches: shuffled row order from a seeded generator, rows gathered into reused buffers
// (the next one on a helper thread while the current step runs), and each batch's targets.
import {
  type PendingGather, type Rng, Tensor, checkOptions, gather, gatherAsync, releaseStorage,
  residentStorage, sizeOf,
} from "@tapegrad/core";
import type { Dataset } from "./data.js";
import { predictedClasses } from "./metrics.js";

/** One minibatch: `x` is [batch, ...features]; `rows` are the rows of the data it holds. */
export interface Batch {
  readonly x: Tensor;
  readonly rows: Int32Array;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Shuffles the order (Fisher–Yates, one draw per sample); without it, the given order. */
  readonly rng?: Rng;
  /**
   * Fill two tensors per batch size, in turn, instead of a new one per batch (no allocation
   * per step): while a batch is in use, a helper thread gathers the next into the other
   * (see `gatherAsync`). Asking for the next batch starts filling this batch's `x` with the
   * one after, so use `x` before asking for the next.
   */
  readonly reuse?: boolean;
}

/**
 * The minibatches of one pass over rows `indices` of `x`: rows are gathered per batch, so only
 * `batchSize` rows are copied at a time. The last batch may be smaller.
 * @example for (const { x, rows } of batches(images, indices, 64, { rng })) { ... }
 */
export function* batches(
  x: Tensor, indices: Int32Array, batchSize: number, options: BatchOptions = {},
): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batches: batchSize must be a positive integer; got ${batchSize}`);
  }
  checkOptions("batches", options, ["rng", "reuse"]);
  const order = options.rng ? options.rng.shuffle(indices.slice()) : indices;
  const rowsAt = (start: number) =>
    order.subarray(start, Math.min(start + batchSize, order.length));
  // Two buffers per batch size (the last batch is smaller), used in turn.
  const reused = new Map<string, Tensor>();
  const buffer = (rows: number, turn: number): Tensor => {
    const key = `${rows} ${turn % 2}`;
    let out = reused.get(key);
    if (out === undefined) {
      const shape = [rows, ...x.shape.slice(1)];
      out = new Tensor(residentStorage(x.dtype, sizeOf(shape)), shape);
      reused.set(key, out);
    }
    return out;
  };
  const prefetch = (start: number): PendingGather => {
    const rows = rowsAt(start);
    return gatherAsync(x, rows, buffer(rows.length, start / batchSize));
  };
  let next = options.reuse === true && order.length > 0 ? prefetch(0) : undefined;
  try {
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = rowsAt(start);
      if (next === undefined) {
        yield { x: gather(x, rows), rows };
        continue;
      }
      const batch = next.wait();
      if (start + batchSize < order.length) next = prefetch(start + batchSize);
      yield { x: batch, rows };
    }
  } finally {
    // Done or abandoned: let a pending gather finish, then give the buffers back now (an
    // epoch's evaluation would otherwise leave megabytes of wasm memory for the collector).
    next?.wait();
    for (const t of reused.values()) releaseStorage(t.data);
  }
}

/** Number of batches {@link batches} yields for `rows` samples. */
export function batchCount(rows: number, batchSize: number): number {
  return Math.ceil(rows / batchSize);
}

/** A batch's loss target, and its class labels for the accuracy (null for other tasks). */
export interface BatchTarget {
  /** Shape [batch, outputs]: one-hot rows for class labels, else the target values. */
  readonly target: Tensor;
  readonly labels: Int32Array | null;
}

/**
 * Makes the targets of minibatches of `data`, each into a buffer reused per batch size (so a
 * compiled step reads the same array every step). Call `release()` when done.
 */
export class BatchTargets {
  readonly #buffers = new Map<number, Tensor>();
  readonly #outputs: number;
  readonly #data: Dataset;

  constructor(data: Dataset) {
    this.#data = data;
    this.#outputs = data.objective.outputs;
  }

  /** The target and labels of `rows`; valid until the next call with as many rows. */
  take(rows: Int32Array): BatchTarget {
    const { labels, targets, objective } = this.#data;
    const target = this.#buffer(rows.length);
    if (labels !== null) {
      const classes = new Int32Array(rows.length);
      const out = target.data;
      out.fill(0);
      for (let i = 0; i < rows.length; i++) {
        classes[i] = labels[rows[i]];
        out[i * this.#outputs + classes[i]] = 1;
      }
      return { target, labels: classes };
    }
    gather(targets as Tensor, rows, { out: target });
    if (objective.task === "multiclass") return { target, labels: predictedClasses(target) };
    if (objective.task === "binary") {
      return { target, labels: Int32Array.from(target.data, (v) => (v >= 0.5 ? 1 : 0)) };
    }
    return { target, labels: null };
  }

  /** Gives the buffers' memory back (see `releaseStorage`). */
  release(): void {
    for (const t of this.#buffers.values()) releaseStorage(t.data);
    this.#buffers.clear();
  }

  #buffer(rows: number): Tensor {
    let t = this.#buffers.get(rows);
    if (t === undefined) {
      const dtype = this.#data.targets?.dtype ?? this.#data.x.dtype;
      t = new Tensor(residentStorage(dtype, rows * this.#outputs), [rows, this.#outputs]);
      this.#buffers.set(rows, t);
    }
    return t;
  }
}
