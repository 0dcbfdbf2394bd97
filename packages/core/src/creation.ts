// Tensor factories: from data, filled, ranges, identity, and seeded random draws.
import { type DType, type FloatArray, allocate, checkDType } from "./dtype.js";
import { Rng } from "./random.js";
import { ShapeError, checkShape, formatShape, sizeOf } from "./shape.js";
import { Tensor, type NestedArray } from "./tensor.js";
import { checkOptions } from "./options.js";

/** Options shared by the factories. */
export interface TensorOptions {
  /** Element type; float32 unless given (a Float64Array input defaults to float64). */
  readonly dtype?: DType;
  /** Make the result a leaf that records ops for backward. */
  readonly requiresGrad?: boolean;
}

/** Options of the random factories: exactly one of `seed` or `rng`. */
export interface RandomOptions extends TensorOptions {
  /** Seed for a fresh generator: the same seed gives the same tensor. */
  readonly seed?: number;
  /** A generator to draw from (advances it), for several draws from one stream. */
  readonly rng?: Rng;
}

const TENSOR_KEYS = ["dtype", "requiresGrad"];
const RANDOM_KEYS = ["dtype", "requiresGrad", "seed", "rng"];

function finish(data: FloatArray, shape: readonly number[], options: TensorOptions): Tensor {
  const t = new Tensor(data, shape);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/**
 * A tensor from a number, nested arrays (must be rectangular), or a typed array plus shape.
 * @example tensor([[1, 2], [3, 4]], { dtype: "float64" })
 */
export function tensor(
  values: NestedArray | ArrayLike<number>,
  shapeOrOptions?: readonly number[] | TensorOptions,
  maybeOptions?: TensorOptions,
): Tensor {
  const explicitShape = Array.isArray(shapeOrOptions) ? (shapeOrOptions as number[]) : undefined;
  if (!explicitShape && shapeOrOptions !== undefined && maybeOptions !== undefined) {
    throw new TypeError("tensor: options given twice; use tensor(values, shape, options)");
  }
  const options = tensorOptions(explicitShape ? maybeOptions : shapeOrOptions as TensorOptions);
  const dtype = checkDType(
    "tensor",
    options.dtype ?? (values instanceof Float64Array ? "float64" : "float32"),
  );
  let flat: ArrayLike<number>;
  let shape: number[];
  if (typeof values === "number") {
    flat = [values];
    shape = [];
  } else if (Array.isArray(values)) {
    shape = nestedShape(values);
    flat = flatten(values);
    if (flat.length !== sizeOf(shape)) throw new ShapeError("tensor: nested arrays are ragged");
  } else if (values !== null && typeof values === "object" && "length" in values) {
    flat = values;
    shape = [values.length];
  } else {
    throw new TypeError(
      `tensor: expected a number, nested arrays or a typed array; got ${typeof values}`,
    );
  }
  if (explicitShape) {
    checkShape("tensor", explicitShape);
    if (sizeOf(explicitShape) !== flat.length) {
      throw new ShapeError(
        `tensor: ${flat.length} values do not fill shape ${formatShape(explicitShape)} ` +
          `(${sizeOf(explicitShape)} elements)`,
      );
    }
    shape = [...explicitShape];
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    if (typeof flat[i] !== "number") {
      throw new TypeError(`tensor: element ${i} is ${typeof flat[i]}, not a number`);
    }
    data[i] = flat[i];
  }
  return finish(data, shape, options);
}

/** tensor()'s options, with a pointer to the second argument when a shape is put in them. */
function tensorOptions(options: TensorOptions | undefined): TensorOptions {
  if (ArrayBuffer.isView(options)) {
    throw new TypeError(
      `tensor: the shape must be a plain array of integers; got a ${options.constructor.name}`,
    );
  }
  if (typeof options === "object" && options !== null && "shape" in options) {
    throw new TypeError(
      'tensor: "shape" is not an option; pass the shape as the second argument: ' +
        "tensor(values, [2, 3], { dtype })",
    );
  }
  return checkOptions("tensor", options, TENSOR_KEYS);
}

function flatten(values: NestedArray[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedArray): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v);
  };
  walk(values);
  return out;
}

function nestedShape(values: NestedArray[]): number[] {
  const shape = [values.length];
  let level: NestedArray = values[0];
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const check = (v: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new ShapeError("tensor: nested arrays are ragged");
      if (typeof v !== "number") {
        throw new TypeError(`tensor: nested arrays must hold numbers; got ${typeof v}`);
      }
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(
        `tensor: nested arrays are ragged; expected length ${shape[depth]} at depth ${depth}`,
      );
    }
    for (const child of v) check(child, depth + 1);
  };
  check(values, 0);
  return shape;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled("full", shape, value, options);
}

// `op` names the public caller, so zeros([-1]) reports "zeros: …", not "full: …".
function filled(
  op: string, shape: readonly number[], value: number, options: TensorOptions,
): Tensor {
  checkShape(op, shape);
  checkOptions(op, options, TENSOR_KEYS);
  const data = allocate(checkDType(op, options.dtype ?? "float32"), sizeOf(shape));
  data.fill(value);
  return finish(data, shape, options);
}

/** Zeros of `shape`. */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled("zeros", shape, 0, options);
}

/** Ones of `shape`. */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled("ones", shape, 1, options);
}

/** Zeros with x's shape and dtype. */
export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype });
}

/** Ones with x's shape and dtype. */
export function onesLike(x: Tensor): Tensor {
  return ones(x.shape, { dtype: x.dtype });
}

/**
 * Evenly spaced values in [start, stop): `arange(5)` is 0..4, `arange(1, 2, 0.25)` is
 * 1, 1.25, 1.5, 1.75.
 */
export function arange(
  start: number, stop?: number, step = 1, options: TensorOptions = {},
): Tensor {
  checkOptions("arange", options, TENSOR_KEYS);
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (![from, to, step].every(Number.isFinite) || step === 0) {
    throw new RangeError(
      `arange: start, stop and step must be finite, step non-zero; got ${from}, ${to}, ${step}`,
    );
  }
  const count = Math.max(0, Math.ceil((to - from) / step));
  const data = allocate(checkDType("arange", options.dtype ?? "float32"), count);
  for (let i = 0; i < count; i++) data[i] = from + i * step;
  return finish(data, [count], options);
}

/** The n×m identity matrix (m defaults to n). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkOptions("eye", options, TENSOR_KEYS);
  checkShape("eye", [n, m]);
  const data = allocate(checkDType("eye", options.dtype ?? "float32"), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish(data, [n, m], options);
}

function generator(op: string, options: RandomOptions): Rng {
  if (options.rng !== undefined && options.seed !== undefined) {
    throw new TypeError(`${op}: pass either seed or rng, not both`);
  }
  if (options.rng !== undefined) return options.rng;
  if (options.seed === undefined) {
    throw new TypeError(`${op}: a seed (or rng) is required so results are reproducible`);
  }
  return new Rng(options.seed);
}

function drawn(
  op: string, shape: readonly number[], options: RandomOptions, draw: (rng: Rng) => number,
): Tensor {
  checkShape(op, shape);
  options = checkOptions(op, options, RANDOM_KEYS);
  const rng = generator(op, options);
  const data = allocate(checkDType(op, options.dtype ?? "float32"), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(rng);
  return finish(data, shape, options);
}

/** Uniform draws in [low, high). */
export function uniform(
  shape: readonly number[], low: number, high: number, options: RandomOptions,
): Tensor {
  if (!Number.isFinite(low) || !Number.isFinite(high) || high < low) {
    throw new RangeError(`uniform: need finite low ≤ high; got low ${low}, high ${high}`);
  }
  return drawn("uniform", shape, options, (rng) => rng.uniform(low, high));
}

/** Uniform draws in [0, 1). @example rand([2, 3], { seed: 0 }) */
export function rand(shape: readonly number[], options: RandomOptions): Tensor {
  return drawn("rand", shape, options, (rng) => rng.next());
}

/** Standard normal draws. @example randn([784, 128], { seed: 1, requiresGrad: true }) */
export function randn(shape: readonly number[], options: RandomOptions): Tensor {
  return drawn("randn", shape, options, (rng) => rng.normal());
}
