// Compares results with PyTorch's values element by element (a copy of core's test helper).
import { expect } from "vitest";

/** How close is close: finite values within atol + rtol·|reference|; ±0 told apart or not. */
export interface Tolerance {
  readonly zeroSign: boolean;
  readonly atol: number;
  readonly rtol: number;
}

const show = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

/** Why `actual` differs from `reference` at one position, or null when it matches. */
function mismatch(actual: number, reference: number, options: Tolerance): string | null {
  const { zeroSign, atol, rtol } = options;
  if (Number.isNaN(reference)) return Number.isNaN(actual) ? null : "expected NaN";
  if (!Number.isFinite(reference)) return actual === reference ? null : `expected ${reference}`;
  if (zeroSign && reference === 0 && actual === 0 && !Object.is(actual, reference)) {
    return `expected ${show(reference)}`;
  }
  return Math.abs(actual - reference) <= atol + rtol * Math.abs(reference)
    ? null : `expected ${reference}`;
}

/**
 * Expects `actual` to match `reference` value for value: NaN where PyTorch has NaN, ±∞ exactly,
 * the sign of zero when `zeroSign`, and finite values within atol + rtol·|reference|. Lists the
 * first few differing positions under `label`.
 */
export function expectMatches(
  label: string, actual: ArrayLike<number>, reference: readonly number[],
  options: Tolerance,
): void {
  expect(actual.length, `${label}: element count`).toBe(reference.length);
  const problems: string[] = [];
  for (let i = 0; i < reference.length; i++) {
    const why = mismatch(actual[i], reference[i], options);
    if (why !== null) problems.push(`[${i}] got ${show(actual[i])}, ${why}`);
  }
  const shown = problems.slice(0, 8).join("; ");
  expect(problems.length, `${label}: ${problems.length} of ${reference.length} differ: ${shown}`)
    .toBe(0);
}
