// Tensor: contiguous row-major data, a shape, a dtype, and its place on the autograd tape.
import { type DType, type FloatArray, dtypeOfArray } from "./dtype.js";
import {
  type Shape, ShapeError, describeNonTensor, formatShape, shapesEqual, sizeOf,
} from "./shape.js";
import { type BackwardOptions, propagate, noGrad, type TapeNode } from "./tape.js";
import { checkOptions } from "./options.js";
import * as ops from "./ops/all.js";
// The method table below reads these when this module runs: imported from their own files, not
// through ops/all.js's re-exports, which a module loader may not have linked yet in the cycle
// (ops import Tensor) when a program imports an op file first.
import { add, div, maximum, minimum, mul, neg, pow, square, sub } from "./ops/arithmetic.js";
import { broadcastTo } from "./ops/broadcast.js";
import { equal, greater, greaterEqual, less, lessEqual, notEqual } from "./ops/compare.js";
import { astype } from "./ops/convert.js";
import { slice } from "./ops/indexing.js";
import { matmul } from "./ops/matmul.js";
import { argmax, argmin, logsumexp, max, mean, min, sum } from "./ops/reduce.js";
import { flatten, permute, reshape, squeeze, transpose, unsqueeze } from "./ops/shape.js";
import { logSoftmax, softmax } from "./ops/softmax.js";
import {
  abs, clamp, exp, expm1, leakyRelu, log, log1p, logSigmoid, relu, sigmoid, softplus, sqrt, tanh,
} from "./ops/unary.js";
import type { TensorLike } from "./ops/convert.js";
import { assertNotTracing } from "./tracing.js";
import { handOut, pooledBackward } from "./backward-pool.js";
import { isReleased, releasedError } from "./kernels/released.js";
import { type PrintOptions, formatTensor } from "./format.js";

/** A nested array of numbers of any depth, as accepted by `tensor()` and given by `toArray()`. */
export type NestedArray = number | NestedArray[];

/**
 * An N-d array of float32 (default) or float64 values, row-major and contiguous, that can
 * record the ops applied to it so `backward()` can compute gradients.
 * @example
 * const w = randn([3, 2], { seed: 1, requiresGrad: true });
 * w.matmul(w.transpose()).sum().backward(); // w.grad: [3, 2]
 */
export class Tensor {
  /** The elements in row-major order. Ops never write to an input's data. */
  readonly data: FloatArray;
  readonly shape: Shape;
  readonly dtype: DType;
  #grad: Tensor | null = null;
  /** Whether ops on this tensor are recorded; set it on leaves you want gradients for. */
  requiresGrad = false;
  /** The op that produced this tensor, or null for a leaf. */
  node: TapeNode | null = null;

  /** Wraps `data` (not copied). Prefer the factories: `tensor`, `zeros`, `randn`, … */
  constructor(data: FloatArray, shape: Shape) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `Tensor: data has ${data.length} elements ` +
          `but shape ${formatShape(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOfArray(data);
  }

  /**
   * Accumulated gradient (leaves that require grad), or null until backward reaches it. One
   * that a plain `loss.backward()` set is yours once read here: no later plain pass writes to
   * it (accumulating makes a new tensor), while storage nobody read is where the next pass
   * writes. `compileStep` and `BackwardBuffers` overwrite theirs (see them). A gradient set here
   * must have this tensor's shape and dtype.
   */
  get grad(): Tensor | null {
    const grad = this.#grad;
    if (grad !== null) handOut(grad);
    return grad;
  }

  set grad(value: Tensor | null) {
    const fits = value instanceof Tensor && value.dtype === this.dtype &&
      shapesEqual(value.shape, this.shape);
    if (value !== null && !fits) {
      const got = value instanceof Tensor
        ? `${value.dtype} ${formatShape(value.shape)}`
        : describeNonTensor(value);
      throw new TypeError(
        `grad: a gradient must be null or a ${this.dtype} tensor of this tensor's shape ` +
          `${formatShape(this.shape)}; got ${got}`,
      );
    }
    this.#grad = value;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True for tensors no op produced (inputs, parameters). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    assertNotTracing("item");
    if (isReleased(this.data)) throw releasedError("item: this tensor");
    if (this.size !== 1) {
      throw new ShapeError(
        `item: tensor has ${this.size} elements, shape ${formatShape(this.shape)}`,
      );
    }
    return this.data[0];
  }

  /** The values as nested arrays (a plain number for rank 0). */
  toArray(): NestedArray {
    assertNotTracing("toArray");
    if (isReleased(this.data)) throw releasedError("toArray: this tensor");
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from(
        { length: this.shape[axis] },
        (_, i) => build(axis + 1, offset + i * stride),
      );
    };
    return build(0, 0);
  }

  /**
   * Accumulates d(this)/d(leaf) into `.grad` of every leaf that requires grad. A scalar
   * needs no argument; other shapes need `gradient` of the same shape (the cotangent).
   * The pass frees the graph it ran: a second backward through it throws unless the first
   * passed `{ retainGraph: true }` (`createGraph` retains too), as in PyTorch.
   * @example loss.backward(); // or loss.backward({ retainGraph: true }) to go through it again
   */
  backward(options?: BackwardOptions): void;
  backward(gradient: TensorLike | undefined, options?: BackwardOptions): void;
  backward(first?: TensorLike | BackwardOptions, second?: BackwardOptions): void {
    // A plain object is never a gradient (a Tensor or a number), so it is the options.
    const optionsFirst = typeof first === "object" && !(first instanceof Tensor);
    if (optionsFirst && second !== undefined) {
      throw new TypeError("backward: options given twice; use backward(gradient, options)");
    }
    const gradient = optionsFirst ? undefined : first as TensorLike | undefined;
    const options = checkOptions(
      "backward", optionsFirst ? first as BackwardOptions : second, ["createGraph", "retainGraph"],
    );
    if (!this.requiresGrad) {
      throw new Error(
        "backward: this tensor does not require grad; no input had requiresGrad set, " +
          "or it was computed under noGrad",
      );
    }
    const seed = ops.cotangentFor("backward", this, gradient);
    const createGraph = options.createGraph ?? false;
    const retainGraph = options.retainGraph ?? createGraph;
    const pass = () => propagate(this, seed, createGraph, undefined, { retainGraph });
    if (!createGraph && pooledBackward(this, pass)) return;
    for (const [leaf, g] of pass()) {
      if (leaf.grad === null) leaf.grad = createGraph ? g : g.detach();
      else {
        const previous = leaf.grad;
        leaf.grad = createGraph ? previous.add(g) : noGrad(() => previous.add(g));
      }
    }
  }

  /** Resets `.grad` to null. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** The same data, cut from the tape: no node and no requiresGrad. Shares storage. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy of the data as a new leaf (not on the tape). */
  clone(): Tensor {
    return ops.copyOf(this);
  }

  /** Marks this tensor as a leaf that requires grad; returns it for chaining. */
  requireGrad(on = true): this {
    if (this.node !== null) {
      throw new Error("requireGrad: only leaf tensors can be marked; use detach() first");
    }
    this.requiresGrad = on;
    return this;
  }

  /** The values as text, aligned and summarised like NumPy's (see `formatTensor`). */
  toString(options?: PrintOptions): string {
    return formatTensor(this, options);
  }

  /** Prints `toString(options)` with console.log. */
  print(options?: PrintOptions): void {
    console.log(this.toString(options));
  }

  /** The matrix transpose (swaps the last two axes). */
  get T(): Tensor { return ops.transpose(this); }
  // Its op has a third parameter (options) that the method does not pass on.
  gather(indices: ops.Indices): Tensor { return ops.gather(this, indices); }
}

// The op methods, declared here and installed from one table below: each calls its op with the
// tensor first, so the op's defaults apply (written as one method each, they cost the browser
// bundle about 0.7 KB more). Every op in the table takes at most three parameters after the
// tensor, none of them options; gather, whose op takes options, stays a method of the class.
export interface Tensor {
  astype(dtype: DType): Tensor;
  add(b: TensorLike): Tensor;
  sub(b: TensorLike): Tensor;
  mul(b: TensorLike): Tensor;
  div(b: TensorLike): Tensor;
  pow(b: TensorLike): Tensor;
  maximum(b: TensorLike): Tensor;
  minimum(b: TensorLike): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  log1p(): Tensor;
  expm1(): Tensor;
  sqrt(): Tensor;
  square(): Tensor;
  abs(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  relu(): Tensor;
  /** leakyRelu of this tensor; slope defaults to 0.01. */
  leakyRelu(slope?: number): Tensor;
  softplus(): Tensor;
  logSigmoid(): Tensor;
  clamp(min?: number, max?: number): Tensor;
  greater(b: TensorLike): Tensor;
  greaterEqual(b: TensorLike): Tensor;
  less(b: TensorLike): Tensor;
  lessEqual(b: TensorLike): Tensor;
  equal(b: TensorLike): Tensor;
  notEqual(b: TensorLike): Tensor;
  matmul(b: Tensor): Tensor;
  /** sum of this tensor over `axis` (all axes by default); keepdims defaults to false. */
  sum(axis?: ops.Axis, keepdims?: boolean): Tensor;
  /** mean of this tensor over `axis` (all axes by default); keepdims defaults to false. */
  mean(axis?: ops.Axis, keepdims?: boolean): Tensor;
  /** max of this tensor over `axis` (all axes by default); keepdims defaults to false. */
  max(axis?: ops.Axis, keepdims?: boolean): Tensor;
  /** min of this tensor over `axis` (all axes by default); keepdims defaults to false. */
  min(axis?: ops.Axis, keepdims?: boolean): Tensor;
  /** argmax of this tensor along `axis` (flattened by default); keepdims defaults to false. */
  argmax(axis?: number, keepdims?: boolean): Tensor;
  /** argmin of this tensor along `axis` (flattened by default); keepdims defaults to false. */
  argmin(axis?: number, keepdims?: boolean): Tensor;
  /** logsumexp of this tensor over `axis` (all by default); keepdims defaults to false. */
  logsumexp(axis?: ops.Axis, keepdims?: boolean): Tensor;
  /** softmax of this tensor along `axis`, by default -1 (the last). */
  softmax(axis?: number): Tensor;
  /** logSoftmax of this tensor along `axis`, by default -1 (the last). */
  logSoftmax(axis?: number): Tensor;
  reshape(shape: readonly number[]): Tensor;
  /** Joins axes startDim..endDim into one (all of them by default), as torch.flatten. */
  flatten(startDim?: number, endDim?: number): Tensor;
  /** Swaps axes `axis0` and `axis1`, by default -2 and -1 (the last two). */
  transpose(axis0?: number, axis1?: number): Tensor;
  permute(perm: readonly number[]): Tensor;
  broadcastTo(shape: readonly number[]): Tensor;
  squeeze(axis?: number): Tensor;
  unsqueeze(axis: number): Tensor;
  slice(starts: readonly number[], ends?: readonly number[]): Tensor;
}

type Op3 = (x: Tensor, a: unknown, b: unknown, c: unknown) => Tensor;
// Each entry's op takes the tensor, then exactly what its method takes.
const METHODS: {
  [K in keyof Tensor as Tensor[K] extends (...a: never[]) => Tensor ? K : never]?:
    Tensor[K] extends (...args: infer A) => Tensor ? (x: Tensor, ...args: A) => Tensor : never;
} = {
  astype, add, sub, mul, div, pow, maximum, minimum, neg, exp, log, log1p, expm1, sqrt, square,
  abs, sigmoid, tanh, relu, leakyRelu, softplus, logSigmoid, clamp, greater, greaterEqual, less,
  lessEqual, equal, notEqual, matmul, sum, mean, max, min, argmax, argmin, logsumexp, softmax,
  logSoftmax, reshape, flatten, transpose, permute, broadcastTo, squeeze, unsqueeze, slice,
};
for (const [name, op] of Object.entries(METHODS) as Array<[string, Op3]>) {
  // Like a class method: named for the method (in stack traces), not enumerable, writable and
  // configurable.
  const method = {
    [name](this: Tensor, a: unknown, b: unknown, c: unknown) { return op(this, a, b, c); },
  }[name];
  Object.defineProperty(Tensor.prototype, name, {
    value: method, writable: true, configurable: true,
  });
}
