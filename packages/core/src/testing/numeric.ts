// Finite differences and closeness checks for gradient tests.
import type { FloatArray } from "../dtype.js";
import { noGrad } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * Central-difference gradient of a scalar function of `inputs` with respect to input
 * `index`: (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / 2eps per element. Mutates and restores x.
 */
export function numericGrad(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  index: number,
  eps = 1e-6,
): Float64Array {
  const x = inputs[index].data;
  const out = new Float64Array(x.length);
  noGrad(() => {
    for (let i = 0; i < x.length; i++) {
      const saved = x[i];
      x[i] = saved + eps;
      const plus = f(...inputs).item();
      x[i] = saved - eps;
      const minus = f(...inputs).item();
      x[i] = saved;
      out[i] = (plus - minus) / (2 * eps);
    }
  });
  return out;
}

/** Whether |actual − expected| ≤ atol + rtol·|expected| everywhere (NaN matches nothing). */
export function allClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-6, atol = 1e-8 }: { rtol?: number; atol?: number } = {},
): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) return false;
  }
  return true;
}

/** Largest |a − b| and largest |a − b| / max(|b|, tiny) over two arrays. */
export function maxDifferences(a: FloatArray | ArrayLike<number>, b: ArrayLike<number>) {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(b[i]), 1e-300));
  }
  return { abs, rel };
}

/** How close a value must be to its reference (see `referenceMismatches`). */
export interface ReferenceTolerance {
  readonly atol: number;
  readonly rtol: number;
  /** Tell +0 from −0 (default false). */
  readonly zeroSign?: boolean;
}

const show = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

/**
 * Where `actual` differs from `reference` values (PyTorch's, say), one line per position:
 * NaN must be NaN, ±∞ exactly, ±0 told apart with `zeroSign`, finite values within
 * atol + rtol·|reference|. Empty when they match, so a test expects `[]` and a failure lists
 * the positions.
 * @example expect(referenceMismatches(out.data, torchValues, { atol: 1e-12, rtol: 1e-10 }))
 *   .toEqual([]);
 */
export function referenceMismatches(
  actual: ArrayLike<number>, reference: ArrayLike<number>, tolerance: ReferenceTolerance,
): string[] {
  const { atol, rtol, zeroSign = false } = tolerance;
  if (actual.length !== reference.length) {
    return [`${actual.length} values, expected ${reference.length}`];
  }
  const problems: string[] = [];
  for (let i = 0; i < reference.length; i++) {
    const [a, r] = [actual[i], reference[i]];
    let matches: boolean;
    if (Number.isNaN(r)) matches = Number.isNaN(a);
    else if (!Number.isFinite(r)) matches = a === r;
    else if (zeroSign && r === 0 && a === 0) matches = Object.is(a, r);
    else matches = Math.abs(a - r) <= atol + rtol * Math.abs(r);
    if (!matches) problems.push(`[${i}] got ${show(a)}, expected ${show(r)}`);
  }
  return problems;
}
