// Compares results with PyTorch's reference values, element by element, in a vitest assertion.
import { expect } from "vitest";
import { type ReferenceTolerance, referenceMismatches } from "@tapegrad/core/testing";

/**
 * Expects `actual` to match `reference` value for value (see `referenceMismatches`), listing
 * the first few differing positions under `label`.
 */
export function expectMatches(
  label: string, actual: ArrayLike<number>, reference: readonly number[],
  tolerance: ReferenceTolerance,
): void {
  const problems = referenceMismatches(actual, reference, tolerance);
  const shown = problems.slice(0, 8).join("; ");
  expect(problems.length, `${label}: ${problems.length} of ${reference.length} differ: ${shown}`)
    .toBe(0);
}
