// Printing tensors: values aligned in columns and summarised past a threshold, as NumPy does.
import type { DType } from "./dtype.js";
import { checkOptions } from "./options.js";
import { formatShape, sizeOf } from "./shape.js";

/** How {@link formatTensor} prints; every field has NumPy's / PyTorch's default. */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  readonly precision?: number;
  /** Tensors with more elements than this are summarised with "..." (default 1000). */
  readonly threshold?: number;
  /** Items kept at each end of a summarised axis (default 3). */
  readonly edgeItems?: number;
  /** Characters per line before a row wraps (default 80). */
  readonly lineWidth?: number;
}

/** What a tensor printout needs: its values, shape, dtype and whether it requires grad. */
export interface Printable {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
}

const PREFIX = "tensor(";

/**
 * The tensor as text, like PyTorch's repr: `tensor([[ 0.3000, -1.2000], [ 2.0000,  0.7000]])`
 * on aligned lines. Integers print as `3.`, a wide range of magnitudes in exponent form
 * (`1.0000e+05`); more than `threshold` elements are summarised with `...` and the shape is
 * added. float64 and requiresGrad are noted after the values.
 * @example formatTensor(tensor([[1, 2], [3, 4]])) // "tensor([[1., 2.],\n        [3., 4.]])"
 */
export function formatTensor(t: Printable, options: PrintOptions = {}): string {
  const { precision = 4, threshold = 1000, edgeItems = 3, lineWidth = 80 } = checkOptions(
    "formatTensor", options, ["precision", "threshold", "edgeItems", "lineWidth"]);
  const { data, shape } = t;
  const summarise = sizeOf(shape) > threshold;
  const edge = summarise ? edgeItems : Infinity;
  const shown = shownIndices(shape, edge);
  const format = numberFormat(shown.map((i) => data[i]), precision);
  const width = shown.reduce((w, i) => Math.max(w, format(data[i]).length), 0);

  // One axis: "[" + its items + "]", nested rows on their own lines, "..." where summarised.
  const block = (axis: number, offset: number): string => {
    const size = shape[axis];
    const stride = sizeOf(shape.slice(axis + 1));
    const along = kept(size, edge);
    const gap = size > along.length ? along.length / 2 : -1; // where "..." goes
    const indent = " ".repeat(PREFIX.length + axis + 1);
    if (axis === shape.length - 1) {
      const items = along.map((i) => format(data[offset + i]).padStart(width));
      if (gap >= 0) items.splice(gap, 0, "...");
      const room = lineWidth - indent.length;
      const perLine = Math.max(1, Math.floor(room / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) {
        lines.push(items.slice(i, i + perLine).join(", "));
      }
      return `[${lines.join(`,\n${indent}`)}]`;
    }
    const rows = along.map((i) => block(axis + 1, offset + i * stride));
    if (gap >= 0) rows.splice(gap, 0, "...");
    // Blocks of rank ≥ 3 are separated by blank lines, as in NumPy.
    const separator = `,${"\n".repeat(Math.max(1, shape.length - axis - 1))}${indent}`;
    return `[${rows.join(separator)}]`;
  };

  const notes = [
    summarise || sizeOf(shape) === 0 ? `shape=${formatShape(shape)}` : "",
    t.dtype === "float64" ? "dtype=float64" : "",
    t.requiresGrad ? "requiresGrad=true" : "",
  ];
  const body = shape.length === 0 ? format(data[0]) : block(0, 0);
  return `${PREFIX}${body}${notes.map((n) => n && `, ${n}`).join("")})`;
}

/** Positions along an axis of `size` that are printed: all, or `edge` at each end. */
function kept(size: number, edge: number): number[] {
  const all = Array.from({ length: size }, (_, i) => i);
  return size > 2 * edge ? [...all.slice(0, edge), ...all.slice(size - edge)] : all;
}

/** Flat indices of the elements that will be printed (for the column width and the format). */
function shownIndices(shape: readonly number[], edge: number): number[] {
  let flat = [0];
  let stride = sizeOf(shape);
  for (const size of shape) {
    stride /= size;
    const along = kept(size, edge);
    flat = flat.flatMap((base) => along.map((i) => base + i * stride));
  }
  return shape.some((d) => d === 0) ? [] : flat;
}

/**
 * The number format for a set of values: `3.` when all are integers, fixed `precision`
 * decimals, or exponent form when the magnitudes span more than 1000× or leave [1e-4, 1e8].
 */
function numberFormat(values: readonly number[], precision: number): (v: number) => string {
  let largest = 0;
  let smallest = Infinity;
  let integers = true;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    integers &&= Number.isInteger(v);
    const a = Math.abs(v);
    if (a > 0) [largest, smallest] = [Math.max(largest, a), Math.min(smallest, a)];
  }
  const exponent = largest > 1e8 ||
    (!integers && largest > 0 && (largest / smallest > 1000 || smallest < 1e-4));
  return (v) => {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (exponent) return v.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2");
    return integers ? `${v}.` : v.toFixed(precision);
  };
}
