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
import { type TapeNode, noGrad, nodesReached } from "./tape.js";
import { Tensor } from "./tensor.js";
import { isTracing } from "./tracing.js";

/**
 * Gradients a pass put in `.grad` that nobody has read since (`.grad` hands a gradient out;
 * `peekGrad` does not): their storage is the next pass's to overwrite. A gradient read once is
 * the reader's for good, as in PyTorch, where `zero_grad()` drops the tensor instead.
 */
const lent = new WeakSet<Tensor>();
let peeking = false;

/** Each leaf's own gradient: the tensor `.grad` gets while nobody has read it. */
const ownGrads = new WeakMap<Tensor, Tensor>();

/** Blocks of finished passes, free to take, by length; their bytes; the most one pass took. */
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let largestPass = 0;

/** Nodes whose vjp is user code (customOp), which may keep what it is given or makes. */
const userNodes = new WeakSet<TapeNode>();
let anyUserNodes = false;

/**
 * Called by `.grad`: the gradient is handed out, and no later pass may write to it. One in the
 * kernels' shared memory becomes an ordinary array first (its block goes back to the pool):
 * structuredClone and postMessage would share such a view rather than copy it.
 */
export function handOut(grad: Tensor): void {
  if (peeking || !lent.delete(grad)) return;
  const data = grad.data;
  const backend = getBackend();
  if (data instanceof Float32Array && backend.isResident(data)) {
    (grad as { data: FloatArray }).data = data.slice();
    makeFree(backend, data);
  }
}

/**
 * `t.grad` for code that uses it at once and keeps nothing, such as an optimizer's step or
 * gradient clipping: unlike reading `.grad`, it leaves the gradient's storage to the next
 * plain backward pass, which then writes its gradient there instead of into new storage.
 * @example const g = peekGrad(w); if (g !== null) sgdUpdate(w.data, g.data);
 */
export function peekGrad(t: Tensor): Tensor | null {
  if (!(t instanceof Tensor)) throw new TypeError("peekGrad: t must be a Tensor");
  peeking = true;
  try {
    return t.grad;
  } finally {
    peeking = false;
  }
}

/** Marks a customOp's node: a pass through it runs on ordinary arrays, not the pool. */
export function markUserNode(node: TapeNode): void {
  userNodes.add(node);
  anyUserNodes = true;
}

/**
 * Runs a plain backward pass from `root` through the pool when it can (no allocator of its own
 * is running — `compileStep`, `BackwardBuffers` — no tracing, no anomaly mode, no customOp on
 * the way) and returns true; else returns false and runs nothing. `pass` returns each leaf's
 * gradient of this pass; they are added to what `.grad` holds and copied into the leaf's own
 * storage.
 */
export function pooledBackward(root: Tensor, pass: () => Map<Tensor, Tensor>): boolean {
  if (!usingPlainAllocator() || isTracing() || anomalyChecks() !== undefined) return false;
  if (anyUserNodes && nodesReached(root).some((node) => userNodes.has(node))) return false;
  const backend = getBackend();
  const taken: Float32Array[] = [];
  try {
    withAllocator((dtype, size) => take(backend, dtype, size, taken), () => {
      for (const [leaf, g] of pass()) {
        const previous = peekGrad(leaf);
        const total = previous === null ? g : noGrad(() => previous.add(g));
        if (total.dtype === "float32") putOwnGrad(backend, leaf, total);
        else leaf.grad = previous === null ? g.detach() : total;
      }
    });
  } finally {
    // Nothing refers to the pass's tensors now (gradients were copied out; no user code ran),
    // whether it finished or threw.
    let bytes = 0;
    for (const data of taken) bytes += data.byteLength;
    largestPass = Math.max(largestPass, bytes);
    for (const data of taken) makeFree(backend, data);
  }
  return true;
}

/** Copies `total` into `leaf`'s own gradient storage (new if its last gradient was read). */
function putOwnGrad(backend: Backend, leaf: Tensor, total: Tensor): void {
  let own = ownGrads.get(leaf);
  // Storage of the kind the leaf has: in the kernels' memory (now) for a leaf there (moved by
  // moveToResident or fit), where the update then reads it in place; else an ordinary array.
  const resident = backend.isResident(leaf.data);
  if (own === undefined || !lent.has(own) || isReleased(own.data) ||
    backend.isResident(own.data) !== resident) {
    const data = resident
      ? reuse(backend, leaf.size) ?? residentOrNew(backend, leaf.size)
      : new Float32Array(leaf.size);
    own = new Tensor(data, leaf.shape);
    ownGrads.set(leaf, own);
  }
  if (total.data !== own.data) backend.copy({ x: total.data, out: own.data });
  lent.add(own);
  leaf.grad = own;
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

/**
 * Puts a block nobody refers to any more in the free lists. More free blocks than two passes
 * take (shapes that keep changing) are given back to the kernels' memory at once: left to the
 * garbage collector, they would return only after a turn of the event loop.
 */
function makeFree(backend: Backend, data: Float32Array): void {
  const list = free.get(data.length);
  if (list === undefined) free.set(data.length, [data]);
  else list.push(data);
  freeBytes += data.byteLength;
  if (freeBytes > 2 * largestPass) {
    for (const blocks of free.values()) for (const block of blocks) release(backend, block);
    free.clear();
    freeBytes = 0;
  }
}

function release(backend: Backend, data: Float32Array): void {
  if (!isReleased(data) && backend.isResident(data)) backend.releaseResident?.(data);
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
