// customOp: a user-defined differentiable op with its own forward and vector-Jacobian product.
import { markUserNode } from "./backward-pool.js";
import { setAnomalyChecks } from "./anomaly-mode.js";
import { type Backend, getBackend, setBackend } from "./kernels/backend.js";
import { checkOptions } from "./options.js";
import { noGrad, record } from "./tape.js";
import { Tensor } from "./tensor.js";
import { isTracing } from "./tracing.js";

/** What a custom op's vjp receives besides the upstream gradient. */
export interface CustomOpContext {
  /** The op's inputs, as passed (on the tape: a vjp using them is itself differentiable). */
  readonly inputs: readonly Tensor[];
  /** The op's output (on the tape, so a vjp may reuse it, as exp's does). */
  readonly output: Tensor;
}

/** The definition of a custom op: its name, forward and vjp. */
export interface CustomOpDefinition {
  /** Used in tape nodes and error messages, as built-in op names are ("myCube"). */
  readonly name: string;
  /**
   * The output from the inputs, written with tensor ops. It runs without recording; the op
   * records one tape node whose gradient is `vjp`.
   */
  readonly forward: (...inputs: Tensor[]) => Tensor;
  /**
   * One gradient per input (null where an input gets none), each of that input's shape and
   * dtype, from the output's gradient `dy`. Written with tensor ops, so higher-order
   * gradients (`grad` of `grad`, `hvp`) differentiate it like any other computation.
   */
  readonly vjp: (dy: Tensor, context: CustomOpContext) => ReadonlyArray<Tensor | null>;
}

const DEFINITION_KEYS = ["name", "forward", "vjp"];

/**
 * Defines a differentiable op from a forward and its vector-Jacobian product (as PyTorch's
 * `autograd.Function` or TensorFlow.js's `customGrad`); the result is a function of tensors
 * usable anywhere a built-in op is: under `backward`, `grad`, `hvp` and `detectAnomaly`
 * (which names the op), and in `compileStep`, which replays its kernels like any other op's.
 * Check the vjp with `gradcheck` from `@tapegrad/core/testing`.
 *
 * NOTE: forward and vjp must compute with tensor ops. A value computed on the host (a loop
 * over `.data`) would be frozen by `compileStep` at its first call; when a result was not
 * produced by any kernel, `compileStep` refuses the op with an error saying so.
 * @example
 * const cube = customOp({
 *   name: "cube",
 *   forward: (x) => x.mul(x).mul(x),
 *   vjp: (dy, { inputs: [x] }) => [dy.mul(x.square()).mul(3)], // d(x³) = 3x²
 * });
 * grad((x) => cube(x).sum())(tensor([2])); // [12]
 */
export function customOp(definition: CustomOpDefinition): (...inputs: Tensor[]) => Tensor {
  checkOptions("customOp", definition, DEFINITION_KEYS);
  const { name, forward, vjp } = definition ?? {};
  if (typeof name !== "string" || name.trim() === "") {
    throw new TypeError(`customOp: name must be a non-empty string; got ${JSON.stringify(name)}`);
  }
  for (const [key, fn] of [["forward", forward], ["vjp", vjp]] as const) {
    if (typeof fn !== "function") {
      throw new TypeError(`customOp "${name}": ${key} must be a function; got ${typeof fn}`);
    }
  }
  return (...inputs: Tensor[]): Tensor => {
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) {
        throw new TypeError(`${name}: input ${i} must be a Tensor; got ${describe(x)}`);
      }
    });
    const value = runForward(name, forward, inputs);
    let output: Tensor | undefined;
    const gradients = (dy: Tensor) => runVjp(name, vjp, dy, inputs, output as Tensor);
    output = record(name, inputs, value.data, value.shape, gradients);
    // The vjp is user code, which may keep dy: a pass through it must not pool its storage.
    if (output.node !== null) markUserNode(output.node);
    return output;
  };
}

/** forward without recording; anomaly mode then checks the result under the op's own name. */
function runForward(name: string, forward: CustomOpDefinition["forward"], inputs: Tensor[]) {
  const previous = setAnomalyChecks(undefined);
  let value: unknown;
  let kernelArrays: KernelArrays | null = null;
  try {
    const run = () => noGrad(() => forward(...inputs));
    if (isTracing()) [value, kernelArrays] = watchKernels(run);
    else value = run();
  } finally {
    setAnomalyChecks(previous);
  }
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${name}: forward must return a Tensor; got ${describe(value)}`);
  }
  if (kernelArrays !== null && !kernelArrays.produced(value.data, inputs)) {
    throw new Error(
      `${name}: forward returned values that no kernel wrote (computed on the host, e.g. ` +
        "in a loop over .data), which compileStep cannot replay: they would keep the values " +
        "of the first call. Compute forward with tensor ops, or run this step without " +
        "compileStep (fit: compile: false)",
    );
  }
  return value;
}

function runVjp(
  name: string, vjp: CustomOpDefinition["vjp"], dy: Tensor, inputs: readonly Tensor[],
  output: Tensor,
): ReadonlyArray<Tensor | null> {
  let returned: unknown;
  let kernelArrays: KernelArrays | null = null;
  const run = () => vjp(dy, { inputs, output });
  if (isTracing()) [returned, kernelArrays] = watchKernels(run);
  else returned = run();
  if (!Array.isArray(returned) || returned.length !== inputs.length) {
    const got = Array.isArray(returned) ? `${returned.length} gradients` : describe(returned);
    throw new TypeError(
      `${name}: vjp must return an array of ${inputs.length} gradient` +
        `${inputs.length === 1 ? "" : "s"} (one per input, null for none); got ${got}`,
    );
  }
  return returned.map((g: unknown, i) => {
    if (g === null || g === undefined) return null;
    if (!(g instanceof Tensor)) {
      throw new TypeError(`${name}: vjp's gradient ${i} must be a Tensor or null; got ` +
        describe(g));
    }
    if (kernelArrays !== null && !kernelArrays.produced(g.data, [dy, output, ...inputs])) {
      throw new Error(
        `${name}: vjp's gradient for input ${i} holds values that no kernel wrote (computed ` +
          "on the host), which compileStep cannot replay. Compute it with tensor ops (return " +
          "null for an input without a gradient), or run this step without compileStep",
      );
    }
    return g;
  });
}

type FloatArray = Float32Array | Float64Array;

/** The arrays kernels were handed while a function ran. */
interface KernelArrays {
  /** Whether `data` was handed to a kernel, or shares memory with one of `sources`. */
  produced(data: FloatArray, sources: readonly Tensor[]): boolean;
}

const overlaps = (a: FloatArray, b: FloatArray): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength &&
  b.byteOffset < a.byteOffset + a.byteLength;

const isFloatArray = (x: unknown): x is FloatArray =>
  x instanceof Float32Array || x instanceof Float64Array;

/**
 * Runs `fn` with every kernel call's array arguments noted (through a backend that wraps the
 * active one, so compileStep's own recording is unchanged). Named-argument records are
 * searched one level deep.
 */
function watchKernels<T>(fn: () => T): [T, KernelArrays] {
  const seen: FloatArray[] = [];
  const note = (x: unknown): void => {
    if (isFloatArray(x)) seen.push(x);
    else if (typeof x === "object" && x !== null) Object.values(x).forEach((v) => {
      if (isFloatArray(v)) seen.push(v);
    });
  };
  const inner = getBackend();
  const watching = Object.fromEntries(Object.entries(inner).map(([key, kernel]) => [
    key,
    typeof kernel === "function"
      ? (...args: unknown[]) => {
        args.forEach(note);
        return (kernel as (...a: unknown[]) => unknown)(...args);
      }
      : kernel,
  ])) as unknown as Backend;
  setBackend(watching);
  let result: T;
  try {
    result = fn();
  } finally {
    setBackend(inner);
  }
  return [result, {
    produced: (data, sources) =>
      seen.some((a) => overlaps(a, data)) || sources.some((t) => overlaps(t.data, data)),
  }];
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? (x.constructor?.name ?? "an object") : typeof x;
}
