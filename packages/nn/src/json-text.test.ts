// findDuplicateKey: keys an object repeats, found by path, which JSON.parse would silently drop.
import { describe, expect, it } from "vitest";
import { findDuplicateKey } from "./json-text.js";
import { parseSpecText } from "./spec.js";

describe("findDuplicateKey", () => {
  it("names the first repeated key by its path", () => {
    expect(findDuplicateKey('{"a": 1, "a": 2}')).toBe("a");
    expect(findDuplicateKey('{"layers": [{"units": 1}, {"units": 2, "type": "d", "units": 3}]}'))
      .toBe("layers[1].units");
    expect(findDuplicateKey('{"x": {"y": [[1, 2], {"z": 1, "z": 1}]}}')).toBe("x.y[1].z");
  });

  it("reads escaped keys as JSON does, and skips brackets and commas inside strings", () => {
    expect(findDuplicateKey('{"ab": 1, "a\\u0062": 2}')).toBe("ab");
    expect(findDuplicateKey('{"s": "{\\"s\\": 1, ]", "t": "a,b"}')).toBeUndefined();
    expect(findDuplicateKey('{"a": "x", "b": ["a", "a"], "c": {"a": 1}}')).toBeUndefined();
  });

  it("finds nothing in text without repeats, whatever its shape", () => {
    for (const text of ["[]", "1", '"a"', '[{"a": 1}, {"a": 2}]', '{"a": {"a": {"a": 1}}}']) {
      expect(findDuplicateKey(text)).toBeUndefined();
    }
  });
});

describe("parseSpecText with a repeated key", () => {
  it("refuses it instead of keeping the last value", () => {
    const text = '{"input": 2, "layers": [{"type": "dense", "units": 10, "units": 20}]}';
    expect(() => parseSpecText(text, { source: "model.json" })).toThrow(
      "model.json: invalid model spec (1 problem):\n  layers[0].units appears twice; JSON " +
        "would silently keep the last value, so remove one of them");
    const once = '{"input": 2, "layers": [{"type": "dense", "units": 20}]}';
    expect(parseSpecText(once).layers).toHaveLength(1);
  });
});
