// Shapes: sizes, row-major strides, NumPy broadcasting, axis normalisation and formatting.

/** A tensor's dimensions, outermost first. `[]` is a scalar. */
export type Shape = readonly number[];

/** Thrown when shapes do not fit an op; the message names the op and the shapes. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

/** Prints a shape as `[2, 3]` (an array interpolated directly would print `2,3`). */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Number of elements: the product of the dimensions (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides in elements: the last axis has stride 1. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align trailing axes; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = shape[shape.length - 1 - i];
      const o = rank - 1 - i;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new ShapeError(
          `${op}: shapes cannot be broadcast together; ` +
            `got ${shapes.map(formatShape).join(" and ")}`,
        );
      }
    }
  }
  return out;
}

/**
 * Strides for reading `shape` as if it had been broadcast to `target`: broadcast axes
 * (missing or of size 1) get stride 0, so one index walks both tensors.
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const offset = target.length - shape.length;
  const strides = new Array<number>(target.length).fill(0);
  for (let d = 0; d < shape.length; d++) {
    strides[d + offset] = shape[d] === 1 && target[d + offset] !== 1 ? 0 : own[d];
  }
  return strides;
}

/** Checks that every dimension is a non-negative integer. */
export function checkShape(op: string, shape: readonly unknown[]): Shape {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: shape must be an array of sizes, e.g. [3, 4]; got ` +
      describeArgument(shape));
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: shape must hold non-negative integers; got [${shape.map(String).join(", ")}]`,
      );
    }
  }
  return shape as Shape;
}

/**
 * A value passed where a shape, axis or list was expected, for an error message:
 * `the number 3`, `the string "1"`, `an object`.
 */
export function describeArgument(value: unknown): string {
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name} (use a plain array)`;
  }
  return typeof value === "object" ? "an object" : typeof value;
}

/**
 * A value passed where a tensor was expected, for an error message: `an array (make it a
 * tensor)`, `a Float32Array (make it a tensor)`, `an object`, `the number 3`.
 */
export function describeNonTensor(value: unknown): string {
  if (Array.isArray(value)) return "an array (make it a tensor)";
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (make it a tensor)`;
  return typeof value === "object" && value !== null ? "an object" : describeArgument(value);
}

/** Resolves a possibly negative axis against `rank`, or throws naming the op. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (typeof axis !== "number") {
    throw new TypeError(`${op}: axis must be an integer; got ${describeArgument(axis)}`);
  }
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const range = rank === 0 ? "no axes (rank 0)" : `axes in [${-rank}, ${rank - 1}]`;
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}; valid: ${range}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Resolves `axis` (one axis, a list, or undefined for all) to sorted, unique, non-negative
 * axes; duplicates are an error.
 */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined,
  rank: number,
): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const items: readonly unknown[] = Array.isArray(axis) ? axis : [axis];
  const wrong = items.findIndex((a) => typeof a !== "number");
  if (wrong >= 0) {
    const where = Array.isArray(axis) ? ` at axis[${wrong}]` : "";
    const hint = axis === null ? " (for every axis leave it undefined)" : "";
    throw new TypeError(`${op}: axis must be an integer or an array of integers; got ` +
      `${describeArgument(items[wrong])}${where}${hint}`);
  }
  const list = typeof axis === "number" ? [axis] : axis;
  const axes = list.map((a) => normalizeAxis(op, a, rank));
  const unique = [...new Set(axes)].sort((x, y) => x - y);
  if (unique.length !== axes.length) {
    throw new ShapeError(`${op}: repeated axis in [${list.join(", ")}]`);
  }
  return unique;
}

/** The shape left after reducing `axes`, keeping them as size 1 when `keepdims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (!axes.includes(d)) out.push(shape[d]);
    else if (keepdims) out.push(1);
  }
  return out;
}
