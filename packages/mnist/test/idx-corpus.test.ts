// Runs the adversarial IDX corpus: each case decodes to exactly its expected value or error.
import { describe, expect, it } from "vitest";
import { decodeIdx } from "../src/idx-gzip.js";
import { idxCorpus } from "./idx-corpus.js";

describe("IDX corpus", () => {
  const cases = idxCorpus();

  it("has unique file names", () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.about}`, async () => {
      const outcome = await decodeIdx(c.bytes(), c.name).then(
        (a) => ({ value: { dtype: a.dtype, shape: a.shape, data: Array.from(a.data) } }),
        (error: Error) => ({ error: error.message }),
      );
      expect(outcome).toEqual(c.expected);
    });
  }
});
