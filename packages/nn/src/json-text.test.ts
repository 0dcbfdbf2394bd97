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

  it("quotes empty, odd and long keys in the path, cut at 40 characters", () => {
    expect(findDuplicateKey('{"": 1, "": 2}')).toBe('[""]');
    expect(findDuplicateKey('{"": {"x": 1, "x": 2}}')).toBe('[""].x');
    expect(findDuplicateKey('{"a.b": {"c": 1, "c": 2}}')).toBe('["a.b"].c');
    const long = "k".repeat(100_000);
    expect(findDuplicateKey(`{"${long}": 1, "${long}": 2}`)).toBe(`["${"k".repeat(40)}…"]`);
    expect(findDuplicateKey('[{"a": 1, "a": 2}]')).toBe("[0].a");
  });

  it("stays within bounded memory on deep nesting, looking 256 levels deep", () => {
    const deep = (n: number, inner: string) => '{"a":'.repeat(n) + inner + "}".repeat(n);
    expect(findDuplicateKey(deep(200, '{"z": 1, "z": 2}'))).toBe(`${"a.".repeat(200)}z`);
    expect(findDuplicateKey(deep(1_000_000, "1"))).toBeUndefined();
    expect(findDuplicateKey(`{"top": ${deep(300, "1")}, "top": 2}`)).toBe("top");
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
