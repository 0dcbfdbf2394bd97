// Runs the adversarial spec corpus: every case must have exactly its stated outcome.
import { describe, expect, it } from "vitest";
import { fromSpec, parseSpec, parseSpecText } from "../src/spec.js";
import { SpecError } from "../src/spec-problems.js";
import { type SpecCase, specCorpus } from "./spec-corpus.js";

const errorTypes = { SpecError, Error, TypeError, RangeError } as const;

function run(c: SpecCase) {
  const input = c.input();
  return "json" in input ? parseSpec(input.json, c.options) : parseSpecText(input.text, c.options);
}

describe("adversarial spec corpus", () => {
  it.each(specCorpus.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const { outcome } = c;
    if ("ok" in outcome) {
      const spec = run(c);
      if (outcome.parameters !== undefined) {
        const model = fromSpec(spec);
        const count = model.parameters().reduce((n, p) => n + p.size, 0);
        expect(count).toBe(outcome.parameters);
      }
      return;
    }
    let caught: unknown;
    try {
      run(c);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(errorTypes[outcome.error]);
    const error = caught as Error;
    expect(error.constructor.name).toBe(outcome.error);
    if (outcome.jsonCause) {
      expect(error.cause).toBeInstanceOf(SyntaxError);
      expect(error.message).toBe(outcome.message + (error.cause as Error).message);
    } else {
      expect(error.message).toBe(outcome.message);
    }
    if (error instanceof SpecError) expect(error.problems).toHaveLength(outcome.problems ?? 1);
  });
});
