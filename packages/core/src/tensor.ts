// Tensor: contiguous row-major data, a shape, a dtype, and its place on the autograd tape.
import { type DType, type FloatArray, dtypeOfArray } from "./dtype.js";
import { type Shape, ShapeError, formatShape, sizeOf } from "./shape.js";
import { type BackwardOptions, propagate, noGrad, type TapeNode } from "./tape.js";
import { checkOptions } from "./options.js";
import * as ops from "./ops/all.js";
import type { TensorLike } from "./ops/convert.js";
import { assertNotTracing } from "./tracing.js";
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
  /** Accumulated gradient (leaves that require grad), or null until backward reaches it. */
  grad: Tensor | null = null;
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
    for (const [leaf, g] of propagate(this, seed, createGraph, undefined, { retainGraph })) {
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

  // ---- ops as methods (each defined once, in ops/) ----
  astype(dtype: DType): Tensor { return ops.astype(this, dtype); }
  add(b: TensorLike): Tensor { return ops.add(this, b); }
  sub(b: TensorLike): Tensor { return ops.sub(this, b); }
  mul(b: TensorLike): Tensor { return ops.mul(this, b); }
  div(b: TensorLike): Tensor { return ops.div(this, b); }
  pow(b: TensorLike): Tensor { return ops.pow(this, b); }
  maximum(b: TensorLike): Tensor { return ops.maximum(this, b); }
  minimum(b: TensorLike): Tensor { return ops.minimum(this, b); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  log1p(): Tensor { return ops.log1p(this); }
  expm1(): Tensor { return ops.expm1(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  square(): Tensor { return ops.square(this); }
  abs(): Tensor { return ops.abs(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  relu(): Tensor { return ops.relu(this); }
  leakyRelu(slope = 0.01): Tensor { return ops.leakyRelu(this, slope); }
  softplus(): Tensor { return ops.softplus(this); }
  logSigmoid(): Tensor { return ops.logSigmoid(this); }
  clamp(min?: number, max?: number): Tensor { return ops.clamp(this, min, max); }
  greater(b: TensorLike): Tensor { return ops.greater(this, b); }
  greaterEqual(b: TensorLike): Tensor { return ops.greaterEqual(this, b); }
  less(b: TensorLike): Tensor { return ops.less(this, b); }
  lessEqual(b: TensorLike): Tensor { return ops.lessEqual(this, b); }
  equal(b: TensorLike): Tensor { return ops.equal(this, b); }
  notEqual(b: TensorLike): Tensor { return ops.notEqual(this, b); }
  matmul(b: Tensor): Tensor { return ops.matmul(this, b); }
  sum(axis?: ops.Axis, keepdims = false): Tensor { return ops.sum(this, axis, keepdims); }
  mean(axis?: ops.Axis, keepdims = false): Tensor { return ops.mean(this, axis, keepdims); }
  max(axis?: ops.Axis, keepdims = false): Tensor { return ops.max(this, axis, keepdims); }
  min(axis?: ops.Axis, keepdims = false): Tensor { return ops.min(this, axis, keepdims); }
  argmax(axis?: number, keepdims = false): Tensor { return ops.argmax(this, axis, keepdims); }
  argmin(axis?: number, keepdims = false): Tensor { return ops.argmin(this, axis, keepdims); }
  logsumexp(axis?: ops.Axis, keepdims = false): Tensor {
    return ops.logsumexp(this, axis, keepdims);
  }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  /** Joins axes startDim..endDim into one (all of them by default), as torch.flatten. */
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  transpose(axis0 = -2, axis1 = -1): Tensor { return ops.transpose(this, axis0, axis1); }
  /** The matrix transpose (swaps the last two axes). */
  get T(): Tensor { return ops.transpose(this); }
  permute(perm: readonly number[]): Tensor { return ops.permute(this, perm); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  squeeze(axis?: number): Tensor { return ops.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  slice(starts: readonly number[], ends?: readonly number[]): Tensor {
    return ops.slice(this, starts, ends);
  }
  gather(indices: ops.Indices): Tensor { return ops.gather(this, indices); }
}
