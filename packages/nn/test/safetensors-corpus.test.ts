// Runs the adversarial safetensors corpus: each case decodes to exactly its expected outcome.
import { describe, expect, it } from "vitest";
import { decodeSafetensors } from "../src/safetensors.js";
import { safetensorsCorpus } from "./safetensors-corpus.js";

function outcome(bytes: Uint8Array) {
  try {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const list = Object.entries(tensors).map(([name, t]) =>
      [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]);
    return { value: { tensors: list, metadata } };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe("safetensors corpus", () => {
  const cases = safetensorsCorpus();

  it("has unique file names", () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.about}`, () => {
      expect(outcome(c.bytes())).toEqual(c.expected);
    });
  }
});
