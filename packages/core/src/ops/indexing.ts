// Indexing ops: slice, row gather, concat, stack and oneHot, with their adjoints.
import { type DType, allocate, checkDType } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import type { IndexArray } from "../kernels/contract.js";
import { copyIndices } from "../kernels/indices.js";
import { checkOptions } from "../options.js";
import {
  ShapeError, formatShape, normalizeAxis, shapesEqual, sizeOf, stridesOf,
} from "../shape.js";
import { isGradEnabled, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkTensor, astype } from "./convert.js";
import { unsqueeze } from "./shape.js";

/** Row indices: a plain array, an Int32Array, or a tensor holding integer values. */
export type Indices = readonly number[] | Int32Array | Uint8Array | Tensor;

/**
 * The block x[starts[0]:ends[0], starts[1]:ends[1], …]. Missing entries take whole axes;
 * negative positions count from the end. Copies the block.
 * @example slice(x, [0, 2], [10, 5]) // rows 0–9, columns 2–4
 */
export function slice(x: Tensor, starts: readonly number[], ends?: readonly number[]): Tensor {
  checkTensor("slice", "x", x);
  for (const [name, p] of [["starts", starts], ["ends", ends ?? []]] as const) {
    if (!Array.isArray(p)) {
      const got = typeof p === "number" ? `the number ${p}` : typeof p;
      throw new TypeError(`slice: ${name} must be an array of positions, one per axis from ` +
        `the first (e.g. [1] or [0, 2]); got ${got}`);
    }
  }
  if (starts.length > x.rank || (ends && ends.length > x.rank)) {
    throw new ShapeError(
      `slice: got ${Math.max(starts.length, ends?.length ?? 0)} positions for rank ${x.rank} ` +
        `(${formatShape(x.shape)})`,
    );
  }
  const begin: number[] = [];
  const shape: number[] = [];
  x.shape.forEach((size, d) => {
    const resolve = (p: number | undefined, fallback: number, role: string) => {
      if (p === undefined) return fallback;
      const q = p < 0 ? p + size : p;
      if (!Number.isInteger(p) || q < 0 || q > size) {
        throw new ShapeError(`slice: ${role} ${p} is out of range for axis ${d} of size ${size}`);
      }
      return q;
    };
    const s = resolve(starts[d], 0, "start");
    const e = resolve(ends?.[d], size, "end");
    if (e < s) throw new ShapeError(`slice: end ${e} is before start ${s} on axis ${d}`);
    begin.push(s);
    shape.push(e - s);
  });
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((o, s, d) => o + s * strides[d], 0);
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().stridedCopy({ x: x.data, offset, strides, out: data, shape });
  return record("slice", [x], data, shape, (dy) => [unslice(dy, x.shape, begin)]);
}

/** The adjoint of slice: zeros of `shape` with `x` placed at `begin`. */
function unslice(x: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  const strides = stridesOf(shape);
  const offset = begin.reduce((o, s, d) => o + s * strides[d], 0);
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().stridedAdd({ src: x.data, out: data, offset, strides, shape: x.shape });
  return record("unslice", [x], data, shape, (dy) => [
    slice(dy, begin, begin.map((s, d) => s + x.shape[d])),
  ]);
}

/**
 * What the index kernels read: a tensor's data (read when the kernel runs, so a compiled step
 * replays with each call's indices), or a copy of an array (a constant, like a number).
 */
function indexArray(op: string, indices: Indices): IndexArray {
  if (indices instanceof Tensor) return checkTensor(op, "indices", indices).data;
  return copyIndices(op, indices);
}

/** Options of `gather`. */
export interface GatherOptions {
  /**
   * Write the rows into this tensor (of the result's shape and x's dtype) instead of a new one,
   * and return it: a minibatch loop then reuses one buffer. Not recorded for gradients, so x
   * must not require grad while grad mode is on.
   */
  readonly out?: Tensor;
}

/**
 * Rows of x picked by integer indices along axis 0 (repeats allowed): x: [n, ...] → [len, ...].
 * The gradient adds each output row back into the row it came from.
 * @example gather(images, batchIndices) // a minibatch
 */
export function gather(x: Tensor, indices: Indices, options?: GatherOptions): Tensor {
  checkTensor("gather", "x", x);
  const { out } = checkOptions("gather", options, ["out"]);
  if (x.rank === 0) throw new ShapeError("gather: x must have rank ≥ 1; got a scalar");
  const index = indexArray("gather", indices);
  const rowSize = sizeOf(x.shape.slice(1));
  const shape = [index.length, ...x.shape.slice(1)];
  const rows = x.shape[0];
  if (out !== undefined) {
    checkGatherOut(x, out, shape);
    getBackend().gatherRows({
      caller: "gather", x: x.data, rows, rowSize, indices: index, out: out.data,
    });
    return out;
  }
  return gatherRows(x, index);
}

/** The rows of x at `index` (checked by the kernel), recorded with its adjoint. */
function gatherRows(x: Tensor, index: IndexArray): Tensor {
  const shape = [index.length, ...x.shape.slice(1)];
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().gatherRows({
    caller: "gather", x: x.data, rows: x.shape[0], rowSize: sizeOf(x.shape.slice(1)),
    indices: index, out: data,
  });
  return record("gather", [x], data, shape, (dy) => [scatterRows(dy, index, x.shape)]);
}

function checkGatherOut(x: Tensor, out: Tensor, shape: readonly number[], op = "gather"): void {
  checkTensor(op, "out", out);
  if (!shapesEqual(out.shape, shape) || out.dtype !== x.dtype) {
    throw new ShapeError(
      `${op}: out must be ${x.dtype} ${formatShape(shape)}; got ${out.dtype} ` +
        formatShape(out.shape),
    );
  }
  if (x.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: out cannot be used while recording gradients of x; use noGrad`);
  }
  if (out.data === x.data) throw new Error(`${op}: out must not be x`);
}

/** A row gather started by `gatherAsync`. */
export interface PendingGather {
  /** Waits until the rows are in `out` and returns it. */
  wait(): Tensor;
}

/**
 * `gather(x, indices, { out })` started on a helper thread, which runs it while it is idle:
 * a training loop gathers the next minibatch while the current step runs. Until `wait()`
 * returns, out must be neither read nor written. Without helper threads (or with x and out
 * outside the kernels' shared memory: see `residentStorage`) the rows are gathered at once.
 * @example
 * let next = gatherAsync(images, order.subarray(0, 128), buffers[0]);
 * // each step: const x = next.wait(); next = gatherAsync(images, nextIndex, otherBuffer); ...
 */
export function gatherAsync(x: Tensor, indices: Indices, out: Tensor): PendingGather {
  checkTensor("gatherAsync", "x", x);
  if (x.rank === 0) throw new ShapeError("gatherAsync: x must have rank ≥ 1; got a scalar");
  const index = indexArray("gatherAsync", indices);
  const rowSize = sizeOf(x.shape.slice(1));
  checkGatherOut(x, out, [index.length, ...x.shape.slice(1)], "gatherAsync");
  const args = {
    caller: "gatherAsync", x: x.data, rows: x.shape[0], rowSize, indices: index, out: out.data,
  };
  // A backend recording a compiled step has no startGatherRows: the gather is recorded.
  const backend = getBackend();
  const wait = backend.startGatherRows?.(args) ?? null;
  if (wait === null) {
    backend.gatherRows(args);
    return { wait: () => out };
  }
  return { wait: () => { wait(); return out; } };
}

/** The adjoint of gather: rows of x added into zeros of `shape` at `index`. */
function scatterRows(x: Tensor, index: IndexArray, shape: readonly number[]): Tensor {
  const data = allocate(x.dtype, sizeOf(shape));
  getBackend().scatterAddRows({
    caller: "gather", src: x.data, rowSize: sizeOf(shape.slice(1)), rows: shape[0],
    indices: index, out: data,
  });
  return record("scatterRows", [x], data, shape, (dy) => [gatherRows(dy, index)]);
}

/**
 * Joins tensors along an existing axis; all other dimensions must agree. Mixed dtypes
 * promote to float64.
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) {
    throw new ShapeError("concat: needs a non-empty array of tensors");
  }
  tensors.forEach((t, i) => checkTensor("concat", `tensors[${i}]`, t));
  const first = tensors[0];
  if (first.rank === 0) {
    throw new ShapeError("concat: tensors must have rank ≥ 1; got a scalar []; use stack");
  }
  const d = normalizeAxis("concat", axis, first.rank);
  tensors.forEach((t, i) => {
    const fits = t.rank === first.rank && t.shape.every((s, j) => j === d || s === first.shape[j]);
    if (!fits) {
      throw new ShapeError(
        `concat: tensors[${i}] is ${formatShape(t.shape)} but tensors[0] is ` +
          `${formatShape(first.shape)}; all dimensions except axis ${d} must agree`,
      );
    }
  });
  const dtype: DType = tensors.some((t) => t.dtype === "float64") ? "float64" : "float32";
  const parts = tensors.map((t) => astype(t, dtype));
  const shape = [...first.shape];
  shape[d] = parts.reduce((n, t) => n + t.shape[d], 0);
  const outer = sizeOf(shape.slice(0, d));
  const inner = sizeOf(shape.slice(d + 1));
  const data = allocate(dtype, sizeOf(shape));
  const backend = getBackend();
  const starts: number[] = [];
  let position = 0;
  for (const t of parts) {
    // Each part is [outer, own, inner]; write it at `position` along the joined axis.
    starts.push(position);
    const block = [outer, t.shape[d], inner];
    backend.stridedAdd({
      src: t.data, out: data, offset: position * inner, strides: [shape[d] * inner, inner, 1],
      shape: block,
    });
    position += t.shape[d];
  }
  return record("concat", parts, data, shape, (dy) =>
    parts.map((t, i) => {
      if (!t.requiresGrad) return null;
      const begin = shape.map((_, j) => (j === d ? starts[i] : 0));
      const end = shape.map((s, j) => (j === d ? starts[i] + t.shape[d] : s));
      return slice(dy, begin, end);
    }),
  );
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) {
    throw new ShapeError("stack: needs a non-empty array of tensors");
  }
  tensors.forEach((t, i) => {
    checkTensor("stack", `tensors[${i}]`, t);
    if (t.rank !== tensors[0].rank || t.shape.some((s, j) => s !== tensors[0].shape[j])) {
      throw new ShapeError(
        `stack: tensors[${i}] is ${formatShape(t.shape)} but tensors[0] is ` +
          `${formatShape(tensors[0].shape)}; stack needs equal shapes`,
      );
    }
  });
  const d = normalizeAxis("stack", axis, tensors[0].rank + 1);
  return concat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * One row per label with a 1 in the label's column: [n] labels → [n, numClasses].
 * @example oneHot([2, 0], 3) // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: Indices, numClasses: number, dtype: DType = "float32"): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new RangeError(`oneHot: numClasses must be a positive integer; got ${numClasses}`);
  }
  checkDType("oneHot", dtype);
  const index = indexArray("oneHot", labels);
  const data = allocate(dtype, index.length * numClasses);
  getBackend().oneHot({ caller: "oneHot", indices: index, classes: numClasses, out: data });
  return new Tensor(data, [index.length, numClasses]);
}
