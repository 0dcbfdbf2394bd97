// compileStep: run a loss function and its backward pass once per input shape while recording
// every kernel call, then replay those calls on the same buffers. A replay has no tape, no
// allocation and no garbage; buffers live in the backend's own storage (WebAssembly memory), so
// its kernels read and write them in place.
//
// Why replay equals the tape: ops never read or write element data on the host; every piece of
// data work is a kernel call through the backend (lint enforces this in ops/). The recorder sees
// every call, and each kernel's descriptor (kernels/descriptors.ts) says which of its record's
// arrays it writes, so a replay restores what must be restored and binds inputs by field name.
import { isAnomalyDetectionEnabled } from "./anomaly-mode.js";
import { type DType, type FloatArray, newArray, withAllocator } from "./dtype.js";
import { getBackend, setBackend } from "./kernels/backend.js";
import type { Backend, KernelName } from "./kernels/contract.js";
import { KERNEL_DESCRIPTORS, KERNEL_NAMES } from "./kernels/descriptors.js";
import {
  checkRecord, isReleased, releaseCount, releasedError, unguarded,
} from "./kernels/released.js";
import { cotangentFor } from "./ops/convert.js";
import { formatShape } from "./shape.js";
import { moveTensorToResident } from "./resident-tensors.js";
import { propagate, withGradMode } from "./tape.js";
import { Tensor } from "./tensor.js";
import { isTracing, withTracing } from "./tracing.js";

/**
 * A loss function of tensors: a scalar tensor, or [loss, ...aux] where the aux tensors (logits,
 * say) are returned alongside without being differentiated.
 */
export type LossFn<R extends StepResult = StepResult> = (...inputs: Tensor[]) => R;
export type StepResult = Tensor | readonly [Tensor, ...Tensor[]];

/** The function `compileStep` returns. */
export interface CompiledStep<R extends StepResult = Tensor> {
  /**
   * What fn returns for these inputs (the loss, or [loss, ...aux]); sets `.grad` of every
   * parameter to the loss's gradient (replacing what was there, as `zeroGrad()` then
   * `backward()` would). Returned tensors and gradients are overwritten by the next call with
   * inputs of the same shapes.
   */
  (...inputs: Tensor[]): R;
  /**
   * How many traces are kept: one per distinct list of input shapes and dtypes, at most
   * `MAX_TRACES` (the least recently used goes first).
   */
  readonly traceCount: number;
  /** Drops every trace; their buffers return to the heap once nothing references them. */
  dispose(): void;
}

/** Traces a compiled step keeps; each holds its own buffers (a batch's activations). */
export const MAX_TRACES = 16;

type Kernel = (args: object) => void;
/** A kernel's argument record as recorded: a copy the replay may re-point at an input. */
type Args = Record<string, unknown>;

const isFloatArray = (x: unknown): x is FloatArray =>
  x instanceof Float32Array || x instanceof Float64Array;

/** One recorded run: the kernel calls and the buffers they read and write. */
interface Trace {
  readonly backend: Backend;
  /** Parameter storage as traced; a parameter whose data was replaced needs a new trace. */
  readonly paramData: readonly FloatArray[];
  /** Where each input is copied before a replay, unless it can be bound instead. */
  readonly inputs: readonly FloatArray[];
  /**
   * Each input's uses: [call, field] of the records holding its buffer, to point at the
   * caller's array instead of copying it; null if a kernel reads a view of it (copy instead).
   */
  readonly inputUses: ReadonlyArray<ReadonlyArray<readonly [number, string]> | null>;
  /** The buffers the trace made (kernels write them): a bound input must not share memory. */
  readonly made: readonly FloatArray[];
  /** Buffers made in the trace that a kernel reads back before writing all of them. */
  readonly restores: ReadonlyArray<readonly [FloatArray, FloatArray]>;
  readonly kernels: readonly Kernel[];
  /** Each recorded call's kernel name, for errors. */
  readonly names: readonly KernelName[];
  readonly args: readonly Args[];
  /** What the step returns: the loss, or [loss, ...aux] (detached). */
  readonly result: StepResult;
  readonly grads: ReadonlyArray<Tensor | null>;
  /** `releaseCount()` when this trace's buffers were last found unreleased. */
  releasesChecked: number;
}

/** A trace's buffers: float32 in the backend's own storage where it has one, float64 as usual. */
function traceStorage(backend: Backend, dtype: DType, size: number): FloatArray {
  return (dtype === "float32" ? backend.residentStorage(dtype, size) : null) ??
    newArray(dtype, size);
}

/** Watches kernel calls during a trace: which buffers were made here, read, and written. */
class Recorder {
  readonly kernels: Kernel[] = [];
  readonly names: KernelName[] = [];
  readonly args: Args[] = [];
  readonly made: FloatArray[] = [];
  readonly #madeSet = new Set<FloatArray>();
  readonly #touched = new Set<FloatArray>();
  readonly #written = new Set<FloatArray>();
  readonly #snapshots = new Map<FloatArray, FloatArray>();

  constructor(private readonly backend: Backend) {}

  /** The allocator ops use while tracing: float32 storage in WebAssembly memory if possible. */
  readonly allocate = (dtype: DType, size: number): FloatArray => {
    const data = traceStorage(this.backend, dtype, size);
    this.made.push(data);
    this.#madeSet.add(data);
    return data;
  };

  /**
   * A backend that records each kernel call to the traced one and then makes it. It has no
   * `startGatherRows`: a gather started on another thread would escape the recording.
   */
  wrap(): Backend {
    const inner = this.backend;
    const wrapped: Record<string, unknown> = {
      name: inner.name, residentStorage: inner.residentStorage, isResident: inner.isResident,
    };
    for (const name of KERNEL_NAMES) {
      const kernel = inner[name] as Kernel;
      wrapped[name] = (given: object): void => {
        const args = { ...given } as Args; // the replay's own record
        this.#observe(name, args);
        // A replay checks its buffers for released storage once per release (see `replay`),
        // so it calls the kernel without the per-call check.
        this.kernels.push(unguarded(kernel));
        this.names.push(name);
        this.args.push(args);
        kernel(args);
      };
    }
    return wrapped as unknown as Backend;
  }

  /** Buffers made in the trace whose first kernel read them, and which a kernel writes. */
  restores(): Array<readonly [FloatArray, FloatArray]> {
    return [...this.#snapshots].filter(([owner]) => this.#written.has(owner));
  }

  #observe(name: KernelName, args: Args): void {
    const descriptor = KERNEL_DESCRIPTORS[name];
    const writes = descriptor.writes as readonly string[];
    const updates = (descriptor.updates ?? []) as readonly string[];
    for (const [field, x] of Object.entries(args)) {
      if (!isFloatArray(x)) continue;
      // A field the kernel updates in place (running statistics) is written every replay; one
      // outside the trace is the caller's state, not a buffer to restore.
      const updated = updates.includes(field);
      const written = writes.includes(field) || updated;
      const owner = this.#ownerOf(x);
      if (owner === null) {
        if (written && !updated) {
          throw new Error(
            `compileStep: the traced function writes (${name}) to a buffer it did not ` +
              `create (its ${field}: a parameter, an input or a tensor it closes over, such ` +
              "as gather's out); an optimizer step or other in-place update cannot be " +
              "compiled. Compile only the loss and call optimizer.step() after the step",
          );
        }
        continue;
      }
      if (!this.#touched.has(owner)) {
        this.#touched.add(owner);
        // Its first use reads what the op that made it put there (zeros, a constant):
        // keep that, to put back before each replay if a kernel changes it later.
        const overwritten = written && x === owner &&
          (descriptor.overwrites as unknown as (a: Args) => boolean)(args);
        if (!overwritten) this.#snapshots.set(owner, owner.slice());
      }
      if (written) this.#written.add(owner);
    }
  }

  /** The buffer made in this trace that x is (or is a view of), else null. */
  #ownerOf(x: FloatArray): FloatArray | null {
    if (this.#madeSet.has(x)) return x;
    const end = x.byteOffset + x.byteLength;
    for (const m of this.made) {
      if (m.buffer === x.buffer && x.byteOffset >= m.byteOffset &&
        end <= m.byteOffset + m.byteLength) return m;
    }
    return null;
  }
}

/**
 * Compiles a training step: `step(...inputs)` returns `fn(...inputs)` (the loss, or [loss,
 * ...aux]) and sets each parameter's `.grad` to the loss's gradient. The first call with given
 * input shapes traces `fn` and its backward pass (running them for real); later calls replay
 * the recorded kernels on the same buffers, without the tape or any allocation.
 *
 * `fn` must compute only with tensor ops on its inputs and on the parameters: it runs once per
 * shape, so a value read in it (`item()`, an `if` on data, random numbers) would be frozen, and
 * those reads throw while tracing. Tensors it closes over are read by reference: pass anything
 * that changes between calls as an input. Plain numbers and index arrays given to ops are
 * constants of the trace, like the code itself; a tensor of indices (`gather(w, idx)`, one-hot
 * labels) is read at every call, and a bad index throws there. Float32 parameters move into
 * WebAssembly memory (`p.data` becomes a new array with the same values) so the kernels use
 * them in place.
 * With anomaly detection on, every call runs eagerly (and is checked).
 * @example
 * const step = compileStep((x, y) => bceWithLogits(model.logits(x), y), model.parameters());
 * const loss = step(xBatch, yBatch); // then optimizer.step()
 * const withLogits = compileStep((x, y) => {
 *   const logits = model.logits(x);
 *   return [bceWithLogits(logits, y), logits] as const;
 * }, model.parameters());
 */
export function compileStep<R extends StepResult>(
  fn: LossFn<R>, params: readonly Tensor[],
): CompiledStep<R> {
  if (typeof fn !== "function") throw new TypeError("compileStep: fn must be a function");
  if (!Array.isArray(params)) {
    throw new TypeError("compileStep: params must be an array of tensors, e.g. " +
      `model.parameters(); got ${params instanceof Tensor ? "a Tensor" : typeof params}`);
  }
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`compileStep: params[${i}] is not a Tensor`);
    if (!p.isLeaf || !p.requiresGrad) {
      throw new Error(`compileStep: params[${i}] must be a leaf with requiresGrad set`);
    }
  });
  const list = [...params];
  const traces = new Map<string, Trace>();
  const step = (...inputs: Tensor[]): StepResult => {
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new TypeError(`compileStep: input ${i} is not a Tensor`);
      if (isReleased(x.data)) throw releasedError(`compileStep: input ${i}`);
    });
    list.forEach((p, i) => {
      if (isReleased(p.data)) throw releasedError(`compileStep: params[${i}]`);
    });
    if (isTracing()) throw new Error("compileStep: a compiled step cannot run inside a trace");
    if (isAnomalyDetectionEnabled()) return runEager(fn, list, inputs);
    const key = inputs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(" ");
    let trace = traces.get(key);
    traces.delete(key); // re-inserted last: the map's order is least recently used first
    if (trace === undefined || !current(trace, list)) {
      trace = record(fn, list, inputs);
      if (traces.size >= MAX_TRACES) traces.delete(traces.keys().next().value!);
    } else {
      replay(trace, list, inputs);
    }
    traces.set(key, trace);
    return trace.result;
  };
  Object.defineProperty(step, "traceCount", { get: () => traces.size });
  return Object.assign(step, { dispose: () => traces.clear() }) as unknown as CompiledStep<R>;
}

/** Whether a trace still matches the backend and the parameters' storage. */
function current(trace: Trace, params: readonly Tensor[]): boolean {
  return trace.backend === getBackend() && params.every((p, i) => p.data === trace.paramData[i]);
}

/** What fn returned (detached) and each parameter's gradient, through the tape. */
function lossAndGrads(fn: LossFn, params: readonly Tensor[], inputs: Tensor[]) {
  const returned = withGradMode(true, () => fn(...inputs));
  const outputs: unknown[] = Array.isArray(returned) ? [...returned] : [returned];
  outputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TypeError(`compileStep: fn must return tensors; output ${i} is ${typeof t}`);
    }
  });
  const loss = outputs[0] as Tensor | undefined;
  if (loss === undefined || loss.size !== 1) {
    const got = loss === undefined ? "an empty array" : `shape ${formatShape(loss.shape)}`;
    throw new TypeError(`compileStep: fn must return a scalar tensor first; got ${got}`);
  }
  const found = loss.requiresGrad
    ? propagate(loss, cotangentFor("compileStep", loss, undefined), false, params)
    : new Map<Tensor, Tensor>();
  const detached = (outputs as Tensor[]).map((t) => t.detach());
  const result: StepResult = Array.isArray(returned)
    ? detached as unknown as readonly [Tensor, ...Tensor[]]
    : detached[0];
  return { result, grads: params.map((p) => found.get(p)?.detach() ?? null) };
}

function runEager(fn: LossFn, params: readonly Tensor[], inputs: Tensor[]): StepResult {
  const { result, grads } = lossAndGrads(fn, params, inputs);
  params.forEach((p, i) => (p.grad = grads[i]));
  return result;
}

function record(fn: LossFn, params: readonly Tensor[], given: Tensor[]): Trace {
  const backend = getBackend();
  params.forEach((p) => moveTensorToResident(backend, p));
  const inputs = given.map((x) => {
    const data = traceStorage(backend, x.dtype, x.size);
    backend.copy({ x: x.data, out: data });
    return new Tensor(data, x.shape);
  });
  const recorder = new Recorder(backend);
  setBackend(recorder.wrap());
  let result: ReturnType<typeof lossAndGrads>;
  try {
    result = withTracing(() => withAllocator(recorder.allocate, () =>
      lossAndGrads(fn, params, inputs)));
  } finally {
    setBackend(backend);
  }
  params.forEach((p, i) => (p.grad = result.grads[i]));
  const returned: readonly Tensor[] = Array.isArray(result.result)
    ? result.result
    : [result.result as Tensor];
  return {
    backend,
    paramData: params.map((p) => p.data),
    inputs: inputs.map((x) => x.data),
    // An input returned as is (or as a reshaped view) must be copied to stay current.
    inputUses: inputs.map((x) => returned.some((t) => overlaps(t.data, x.data))
      ? null
      : usesOf(x.data, recorder.args)),
    made: recorder.made,
    restores: recorder.restores(),
    kernels: recorder.kernels,
    names: recorder.names,
    args: recorder.args,
    result: result.result,
    grads: result.grads,
    releasesChecked: releaseCount(),
  };
}

/** Whether two arrays share any memory. */
function overlaps(a: FloatArray, b: FloatArray): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength;
}

/** The record fields that hold `buffer` itself; null if a kernel takes a view of it. */
function usesOf(
  buffer: FloatArray, args: readonly Args[],
): Array<readonly [number, string]> | null {
  const uses: Array<readonly [number, string]> = [];
  for (let k = 0; k < args.length; k++) {
    for (const [field, x] of Object.entries(args[k])) {
      if (x === buffer) uses.push([k, field]);
      else if (isFloatArray(x) && overlaps(x, buffer)) return null;
    }
  }
  return uses;
}

/**
 * Points the recorded kernels at `data` for input i when that is safe (the kernels take the
 * input whole, and data is of the same type and length and is not a buffer of the trace,
 * which kernels write), else at the trace's own buffer with data copied into it.
 */
function bindInput(trace: Trace, i: number, data: FloatArray): void {
  const uses = trace.inputUses[i];
  // Already bound (it passed the checks below then): the usual step with one input buffer.
  if (uses !== null && uses.length > 0 && trace.args[uses[0][0]][uses[0][1]] === data) return;
  const own = trace.inputs[i];
  const bindable = uses !== null && data.constructor === own.constructor &&
    data.length === own.length && !overlapsMade(trace, data);
  const target = bindable ? data : own;
  if (!bindable) trace.backend.copy({ x: data, out: own });
  if (uses === null || uses.length === 0) return;
  for (const [k, field] of uses) trace.args[k][field] = target;
}

function overlapsMade(trace: Trace, data: FloatArray): boolean {
  return trace.made.some((m) => overlaps(m, data));
}

function replay(trace: Trace, params: readonly Tensor[], inputs: readonly Tensor[]): void {
  inputs.forEach((x, i) => bindInput(trace, i, x.data));
  if (trace.releasesChecked !== releaseCount()) {
    // Something was released since: no kernel may touch released storage (its memory may
    // belong to another array now), the trace's own buffers and closed-over tensors included.
    trace.args.forEach((args, k) => checkRecord(trace.names[k], args));
    trace.releasesChecked = releaseCount();
  }
  for (const [out, initial] of trace.restores) trace.backend.copy({ x: initial, out });
  const { kernels, args } = trace;
  for (let i = 0; i < kernels.length; i++) kernels[i](args[i]);
  params.forEach((p, i) => (p.grad = trace.grads[i]));
}
