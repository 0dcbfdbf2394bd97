// Reductions over one or more axes: sum mean max min logsumexp, and argmax/argmin.
import { allocate } from "../dtype.js";
import { getBackend } from "../kernels/backend.js";
import type { ReduceKernel } from "../kernels/contract.js";
import {
  type Shape, normalizeAxes, normalizeAxis, reducedShape, sizeOf, stridesOf,
} from "../shape.js";
import { record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { add, div, mul, sub } from "./arithmetic.js";
import { broadcastTo } from "./broadcast.js";
import { checkTensor } from "./convert.js";
import { constantTensor, mapData, zipData } from "./forward.js";
import { reshape } from "./shape.js";
import { exp, log } from "./unary.js";

/** One axis, several axes, or undefined for all axes. Negative axes count from the end. */
export type Axis = number | readonly number[];

function reduceData(op: ReduceKernel, x: Tensor, axes: readonly number[], keepdims: boolean) {
  const kept = reducedShape(x.shape, axes, true);
  const keptStrides = stridesOf(kept).map((s, d) => (axes.includes(d) ? 0 : s));
  const data = allocate(x.dtype, sizeOf(kept));
  getBackend().reduce({ op, x: x.data, shape: x.shape, out: data, outStrides: keptStrides });
  return { data, kept, shape: reducedShape(x.shape, axes, keepdims) };
}

/** Spreads a reduced gradient back over the reduced axes. */
function expandBack(dy: Tensor, kept: Shape, shape: Shape): Tensor {
  return broadcastTo(reshape(dy, kept), shape);
}

/**
 * Sum over `axis` (all axes by default), dropping the reduced axes unless `keepdims`.
 * @example sum(tensor([[1, 2], [3, 4]]), 0) // [4, 6]
 */
export function sum(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor("sum", "x", x);
  const axes = normalizeAxes("sum", axis, x.rank);
  const { data, kept, shape } = reduceData("sum", x, axes, keepdims);
  return record("sum", [x], data, shape, (dy) => [expandBack(dy, kept, x.shape)]);
}

/** Arithmetic mean over `axis` (all by default). The mean of no elements is NaN. */
export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor("mean", "x", x);
  const axes = normalizeAxes("mean", axis, x.rank);
  const count = axes.reduce((n, d) => n * x.shape[d], 1);
  return div(sum(x, axes, keepdims), count); // 0 / 0 = NaN for no elements
}

/**
 * Largest value over `axis`. The gradient goes to the maximal elements; tied maxima share
 * it equally, as PyTorch's `amax` (its `max(x, dim)` gives it all to one element). Reducing
 * an empty axis gives −Infinity (where `amax` refuses).
 */
export function max(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  return extreme("max", x, axis, keepdims);
}

/** Smallest value over `axis`; tied minima share the gradient equally. */
export function min(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  return extreme("min", x, axis, keepdims);
}

function extreme(op: "max" | "min", x: Tensor, axis: Axis | undefined, keepdims: boolean): Tensor {
  checkTensor(op, "x", x);
  const axes = normalizeAxes(op, axis, x.rank);
  const { data, kept, shape } = reduceData(op, x, axes, keepdims);
  const extremes = new Tensor(data, kept);
  return record(op, [x], data, shape, (dy) => {
    const hits = constantTensor(zipData(op, "equal", x, extremes));
    const share = div(hits, sum(hits, axes, true));
    return [mul(expandBack(dy, kept, x.shape), share)];
  });
}

/**
 * Index of the largest value along `axis` (over the flattened tensor when omitted),
 * as a tensor of integer values in x's dtype; the first of tied values wins. No gradient.
 */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme("argmax", x, axis, keepdims);
}

/** Index of the smallest value along `axis` (flattened when omitted). No gradient. */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme("argmin", x, axis, keepdims);
}

function argExtreme(
  op: "argmax" | "argmin", x: Tensor, axis: number | undefined, keepdims: boolean,
): Tensor {
  checkTensor(op, "x", x);
  if (x.size === 0) throw new RangeError(`${op}: cannot take ${op} of an empty tensor`);
  if (axis === undefined) {
    const data = allocate(x.dtype, 1);
    getBackend().argReduce({ op, x: x.data, outer: 1, axisSize: x.size, inner: 1, out: data });
    return new Tensor(data, keepdims ? x.shape.map(() => 1) : []);
  }
  const d = normalizeAxis(op, axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, d));
  const inner = sizeOf(x.shape.slice(d + 1));
  const data = allocate(x.dtype, outer * inner);
  getBackend().argReduce({
    op, x: x.data, outer, axisSize: x.shape[d], inner, out: data,
  });
  return new Tensor(data, reducedShape(x.shape, [d], keepdims));
}

/**
 * log Σ exp(x) over `axis`, computed as m + log Σ exp(x − m) with m the maximum, so it
 * stays finite for inputs near ±1000. Its gradient is softmax(x).
 */
export function logsumexp(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor("logsumexp", "x", x);
  const axes = normalizeAxes("logsumexp", axis, x.rank);
  // A row whose maximum is ±∞ or NaN shifts by 0, so a row of −∞ gives −∞ (not ∞ − ∞).
  const { data: peak, kept } = reduceData("max", x, axes, true);
  const shift = constantTensor(mapData("finiteOrZero", new Tensor(peak, kept)));
  const value = add(log(sumNoGrad(exp(sub(x.detach(), shift)), axes)), shift);
  const shape = reducedShape(x.shape, axes, keepdims);
  const out = record("logsumexp", [x], value.data, shape, (dy) => [
    mul(expandBack(dy, kept, x.shape), exp(sub(x, expandBack(out, kept, x.shape)))),
  ]);
  return out;
}

function sumNoGrad(x: Tensor, axes: readonly number[]): Tensor {
  const { data, kept } = reduceData("sum", x, axes, true);
  return new Tensor(data, kept);
}
