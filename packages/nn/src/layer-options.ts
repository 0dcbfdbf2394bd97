// Checks shared by the layer constructors: sizes, flags and where initial weights come from.
import { Rng, type Size2 } from "@tapegrad/core";

/** `value` when it is an integer ≥ `min` (default 1); a RangeError naming the option if not. */
export function integerOption(where: string, key: string, value: unknown, min = 1): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min) return value;
  const what = min === 1 ? "a positive integer" : min === -Infinity ? "an integer"
    : `an integer ≥ ${min}`;
  throw new RangeError(`${where}: ${key} must be ${what}; got ${show(value)}`);
}

/** A size per spatial axis (a number, or one per axis), each an integer ≥ `min`. */
export function sizeOption(
  where: string, key: string, value: unknown, axes: 1 | 2, min = 1,
): number | readonly number[] {
  const list = typeof value === "number" ? [value] : value;
  const ok = Array.isArray(list) && (typeof value === "number" || list.length === axes) &&
    list.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= min);
  if (ok) return typeof value === "number" ? value : [...(value as number[])];
  const what = min === 0 ? "non-negative integers" : "positive integers";
  const form = axes === 1 ? "an integer" : "a number or [height, width]";
  throw new RangeError(`${where}: ${key} must be ${form} of ${what}; got ${show(value)}`);
}

/** The window options pooling layers share, checked: kernelSize, stride, padding, ceilMode. */
export function windowOptions(where: string, o: {
  readonly kernelSize: unknown; readonly stride?: unknown; readonly padding?: unknown;
  readonly ceilMode?: unknown;
}) {
  if (o.kernelSize === undefined) throw new RangeError(`${where}: kernelSize is required`);
  const kernelSize = sizeOption(where, "kernelSize", o.kernelSize, 2) as Size2;
  return {
    kernelSize,
    stride: sizeOption(where, "stride", o.stride ?? kernelSize, 2) as Size2,
    padding: sizeOption(where, "padding", o.padding ?? 0, 2, 0) as Size2,
    ceilMode: booleanOption(where, "ceilMode", o.ceilMode ?? false),
  };
}

/** Convolution padding: a size, or "same" / "valid". */
export function paddingOption(
  where: string, value: unknown, axes: 1 | 2,
): Size2 | "same" | "valid" {
  if (value === "same" || value === "valid") return value;
  return sizeOption(where, "padding", value, axes, 0) as Size2;
}

/** `value` when it is a boolean; a TypeError naming the option if not. */
export function booleanOption(where: string, key: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  throw new TypeError(`${where}: ${key} must be true or false; got ${show(value)}`);
}

/** A finite number ≥ 0 (eps). */
export function nonNegativeOption(where: string, key: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  throw new RangeError(`${where}: ${key} must be a finite number ≥ 0; got ${show(value)}`);
}

/** The generator initial weights come from: `rng`, or a fresh one from `seed` (default 0). */
export function initRng(where: string, options: { rng?: unknown; seed?: unknown }): Rng {
  if (options.rng !== undefined && options.seed !== undefined) {
    throw new TypeError(`${where}: pass rng or seed, not both`);
  }
  if (options.rng !== undefined) {
    if (!(options.rng instanceof Rng)) throw new TypeError(`${where}: rng must be an Rng`);
    return options.rng;
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${where}: seed must be an integer; got ${show(seed)}`);
  }
  return new Rng(seed as number);
}

/** A short form of a value for messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  return String(value);
}
