// Shared fast-check generators for core's property suites: shapes, broadcasting, float64 data.
//
// Everything here returns an `fc.Arbitrary`, so suites compose them with `fc.tuple` and
// `.chain`. Tensors are float64 (gradient checks need it) and print as a `tensor(...)` call
// in fast-check's failure reports, so a counterexample can be pasted into a unit test.
import fc from "fast-check";
import { Tensor, formatShape, sizeOf } from "../src/index.js";
import type { Shape } from "../src/index.js";

/** Limits of a generated shape. Defaults: rank 0–4, dimensions 1–5, no size cap. */
export interface ShapeOptions {
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly minDim?: number;
  readonly maxDim?: number;
  /**
   * Largest number of elements allowed. Element-wise gradient checks cost two forward
   * passes per element, so suites cap this (e.g. 48) to stay fast.
   */
  readonly maxSize?: number;
}

/**
 * A shape (an array of dimensions) within `options`; rank 0 is `[]`.
 * @example fc.assert(fc.property(shape({ maxRank: 2 }), (s) => s.length <= 2))
 */
export function shape(options: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, minDim = 1, maxDim = 5, maxSize = Infinity } = options;
  // Draw the rank first: fc.array's length bias would otherwise make most shapes rank 0–1.
  const dims = fc
    .noBias(fc.integer({ min: minRank, max: maxRank }))
    .chain((rank) =>
      fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: rank, maxLength: rank }),
    );
  return maxSize === Infinity ? dims : dims.filter((s) => sizeOf(s) <= maxSize);
}

/**
 * `count` shapes that broadcast together (NumPy rules). Each starts from one full shape and
 * independently drops a random number of leading axes and sets random dimensions to 1, so
 * every mix appears: equal shapes, rank-0 scalars, size-1 axes on either side, rank gaps.
 * The broadcast result is at most the full shape, so `maxSize` bounds every input too.
 */
export function broadcastableShapes(
  count: number,
  options: ShapeOptions = {},
): fc.Arbitrary<number[][]> {
  return shape(options).chain((full) => {
    // Usually keep the full rank (drop 0 axes) and a dimension (1 in 3 become 1), so
    // interesting many-axis cases stay common alongside the degenerate ones.
    const drop = fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 0, max: full.length }), weight: 1 },
    );
    const one = fc.integer({ min: 0, max: 2 }).map((k) => k === 0);
    const derived = fc
      .tuple(drop, fc.array(one, { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.array(derived, { minLength: count, maxLength: count });
  });
}

/** Two broadcast-compatible shapes, as `[aShape, bShape]`. See `broadcastableShapes`. */
export function broadcastPair(options: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return broadcastableShapes(2, options).map(([a, b]) => [a, b]);
}

/** Where the values of a generated tensor may lie. Defaults: [-2, 2], anything allowed. */
export interface ValueOptions {
  readonly min?: number;
  readonly max?: number;
  /**
   * Keep |x| at least this far from 0, to stay off kinks (relu, abs) and poles (div's
   * divisor). `true` means 1e-3, well beyond gradcheck's finite-difference step of 1e-6.
   */
  readonly awayFromZero?: boolean | number;
  /** Only x ≥ 0.1 (log, sqrt, pow bases); `min` is raised to 0.1 when lower. */
  readonly positive?: boolean;
}

/** Default half-width of the value range: moderate, so exp and friends stay well-scaled. */
export const DEFAULT_RANGE = 2;

/** The gap `awayFromZero: true` keeps from 0. */
export const KINK_GAP = 1e-3;

const VALUE_STEPS = 2 ** 30;

/** One float64 number within `options` (never NaN or infinite). */
export function float64Value(options: ValueOptions = {}): fc.Arbitrary<number> {
  const { awayFromZero = false, positive = false } = options;
  const min = positive ? Math.max(options.min ?? 0.1, 0.1) : (options.min ?? -DEFAULT_RANGE);
  const max = options.max ?? DEFAULT_RANGE;
  if (!(min <= max)) throw new RangeError(`float64Value: empty range [${min}, ${max}]`);
  const gap = awayFromZero === true ? KINK_GAP : awayFromZero === false ? 0 : awayFromZero;
  // An integer grid of 2^31 + 1 points mapped linearly onto [min, max]: fc.double would spread
  // its draws over bit patterns (mostly tiny numbers) or pile them onto the bounds. The
  // integer bias still visits the centre and the bounds now and then, and shrinking moves
  // values towards the centre of the range.
  const mid = (min + max) / 2;
  const half = (max - min) / 2;
  const value = fc
    .integer({ min: -VALUE_STEPS, max: VALUE_STEPS })
    .map((k) => Math.min(max, Math.max(min, mid + half * (k / VALUE_STEPS))) + 0); // + 0: no -0
  return gap > 0 ? value.filter((x) => Math.abs(x) >= gap) : value;
}

/** Wraps data in a float64 tensor that fast-check prints as a pasteable `tensor(...)` call. */
export function printableTensor(values: readonly number[], dims: Shape): Tensor {
  const t = new Tensor(Float64Array.from(values), dims);
  const text = `tensor([${values.join(", ")}], ${formatShape(dims)}, { dtype: "float64" })`;
  Object.defineProperty(t, fc.toStringMethod, { value: () => text });
  return t;
}

/**
 * A float64 tensor of the given shape whose values follow `options`.
 * @example float64Tensor([2, 3], { awayFromZero: true }) // for relu, abs, leakyRelu
 * @example float64Tensor([4], { positive: true, max: 3 }) // for log, sqrt
 */
export function float64Tensor(dims: Shape, options: ValueOptions = {}): fc.Arbitrary<Tensor> {
  const size = sizeOf(dims);
  return fc
    .array(float64Value(options), { minLength: size, maxLength: size })
    .map((values) => printableTensor(values, dims));
}

/** A float64 tensor of a random shape (see `shape`) with values following `values`. */
export function anyFloat64Tensor(
  shapeOptions: ShapeOptions = {},
  values: ValueOptions = {},
): fc.Arbitrary<Tensor> {
  return shape(shapeOptions).chain((dims) => float64Tensor(dims, values));
}

/**
 * Two float64 tensors with broadcast-compatible shapes (see `broadcastPair`), each with its
 * own value options (e.g. a positive base and any exponent for pow).
 */
export function broadcastTensorPair(
  shapeOptions: ShapeOptions = {},
  aValues: ValueOptions = {},
  bValues: ValueOptions = aValues,
): fc.Arbitrary<[Tensor, Tensor]> {
  return broadcastPair(shapeOptions).chain(([aShape, bShape]) =>
    fc.tuple(float64Tensor(aShape, aValues), float64Tensor(bShape, bValues)),
  );
}

/**
 * A random upstream gradient (cotangent) for an output of shape `dims`: values in [-2, 2],
 * never all equal when there are several elements, so a vjp that sums or permutes the
 * wrong elements cannot pass by symmetry (as it could with ones).
 */
export function cotangent(dims: Shape): fc.Arbitrary<Tensor> {
  const size = sizeOf(dims);
  return fc
    .array(float64Value({ min: -2, max: 2 }), { minLength: size, maxLength: size })
    .filter((values) => values.every((v) => v === values[0]) === false || size <= 1)
    .map((values) => printableTensor(values, dims));
}

/** True when every element of `x` is at least `gap` away from each of `points`. */
export function awayFrom(x: Tensor, points: readonly number[], gap = KINK_GAP): boolean {
  return x.data.every((v) => points.every((p) => Math.abs(v - p) >= gap));
}
