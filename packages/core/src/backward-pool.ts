// The storage of plain `loss.backward()` passes: each pass's float32 tensors in blocks of the
// kernels' own memory that the next pass takes again, and each leaf's gradient in storage of
// its own that later passes overwrite only while nobody has read that gradient.
import { anomalyChecks } from "./anomaly-mode.js";
import {
  type DType, type FloatArray, newArray, usingPlainAllocator, withAllocator,
} from "./dtype.js";
import { getBackend } from "./kernels/backend.js";
import type { Backend } from "./kernels/contract.js";
import { isReleased } from "./kernels/released.js";
import { noGrad } from "./tape.js";
import { Tensor } from "./tensor.js";
import { isTracing } from "./tracing.js";

/**
 * Gradients a pass put in `.grad` that nobody has read since (`.grad` hands a gradient out;
 * `peekGrad` does not): their storage is the next pass's to overwrite. A gradient read once is
 * the reader's for good, as in PyTorch, where `zero_grad()` drops the tensor instead.
 */
const lent = new WeakSet<Tensor>();
let peeking = false;

/** A leaf's own gradient storage (the tensor `.grad` gets), and how often it was read. */
interface OwnGrad {
  readonly grad: Tensor;
  readonly reads: number;
}
const ownGrads = new WeakMap<Tensor, OwnGrad>();

/** Blocks of finished passes, free to take, by length; their bytes; the most one pass took. */
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let largestPass = 0;
/** Whether the pass running now ran user code (a customOp's vjp), which may keep a tensor. */
let ranUserCode = false;

/** Called by `.grad`: the gradient is handed out, and no later pass may overwrite it. */
export function handOut(grad: Tensor): void {
  if (!peeking) lent.delete(grad);
}

/**
 * `t.grad` for code that uses it at once and keeps nothing, such as an optimizer's step or
 * gradient clipping: unlike reading `.grad`, it leaves the gradient's storage to the next
 * plain backward pass, which then writes its gradient there instead of into new storage.
 * @example const g = peekGrad(w); if (g !== null) sgdUpdate(w.data, g.data);
 */
export function peekGrad(t: Tensor): Tensor | null {
  peeking = true;
  try {
    return t.grad;
  } finally {
    peeking = false;
  }
}

/** Called when a customOp's vjp runs: that pass's blocks are never taken again. */
export function noteUserVjp(): void {
  ranUserCode = true;
}

/**
 * Runs a plain backward pass through the pool when it can (no allocator of its own is running
 * — `compileStep`, `BackwardBuffers` — no tracing, no anomaly mode) and returns true; else
 * returns false and runs nothing. `pass` returns each leaf's gradient of this pass; they are
 * added to what `.grad` holds and copied into the leaf's own storage.
 */
export function pooledBackward(pass: () => Map<Tensor, Tensor>): boolean {
  if (!usingPlainAllocator() || isTracing() || anomalyChecks() !== undefined) return false;
  const backend = getBackend();
  const taken: Float32Array[] = [];
  ranUserCode = false;
  withAllocator((dtype, size) => take(backend, dtype, size, taken), () => {
    for (const [leaf, g] of pass()) {
      const previous = peekGrad(leaf);
      const total = previous === null ? g : noGrad(() => previous.add(g));
      if (total.dtype === "float32") putOwnGrad(backend, leaf, total);
      else leaf.grad = previous === null ? g.detach() : total;
    }
  });
  // Nothing refers to the pass's tensors now (the gradients were copied out), unless user
  // code ran: its blocks are then left to the garbage collector.
  if (!ranUserCode) {
    let bytes = 0;
    for (const data of taken) bytes += data.byteLength;
    largestPass = Math.max(largestPass, bytes);
    for (const data of taken) makeFree(data);
    if (freeBytes > 2 * largestPass) {
      free.clear();
      freeBytes = 0;
    }
  }
  return true;
}

/** Copies `total` into `leaf`'s own gradient storage (new if its last gradient was read). */
function putOwnGrad(backend: Backend, leaf: Tensor, total: Tensor): void {
  let own = ownGrads.get(leaf);
  if (own === undefined || !lent.has(own.grad) || isReleased(own.grad.data)) {
    const reads = own === undefined ? 0 : own.reads + 1;
    // Once a leaf's gradient was read, its next ones are ordinary arrays, which the garbage
    // collector reclaims as memory fills: blocks of the kernels' memory return only after a
    // collection and a turn of the event loop, so a loop reading every gradient would grow
    // that memory step by step. A leaf takes one block of it at most.
    const data = reads >= 1 ? new Float32Array(leaf.size) : residentOrNew(backend, leaf.size);
    own = { grad: new Tensor(data, leaf.shape), reads };
    ownGrads.set(leaf, own);
  }
  const grad = own.grad;
  if (total.data !== grad.data) backend.copy({ x: total.data, out: grad.data });
  lent.add(grad);
  leaf.grad = grad;
}

function take(backend: Backend, dtype: DType, size: number, taken: Float32Array[]): FloatArray {
  if (dtype !== "float32") return newArray(dtype, size);
  const data = reuse(backend, size) ?? residentOrNew(backend, size);
  if (backend.isResident(data)) taken.push(data);
  return data;
}

/** Zeroed float32 storage in the kernels' memory; an ordinary array where there is none. */
function residentOrNew(backend: Backend, size: number): Float32Array {
  try {
    return (backend.residentStorage("float32", size) as Float32Array | null) ??
      new Float32Array(size);
  } catch (error) {
    // The kernels' memory is at its maximum: an ordinary array works the same, only slower.
    if (error instanceof RangeError) return new Float32Array(size);
    throw error;
  }
}

function makeFree(data: Float32Array): void {
  const list = free.get(data.length);
  if (list === undefined) free.set(data.length, [data]);
  else list.push(data);
  freeBytes += data.byteLength;
}

/** A free block of `size` elements, zeroed, still in the kernels' memory; or null. */
function reuse(backend: Backend, size: number): Float32Array | null {
  const list = free.get(size);
  while (list !== undefined && list.length > 0) {
    const data = list.pop()!;
    freeBytes -= data.byteLength;
    // Released by the user, or of a memory the kernels left (setNumThreads): never again.
    if (isReleased(data) || !backend.isResident(data)) continue;
    backend.fill({ out: data, value: 0 });
    return data;
  }
  return null;
}
