// Unit tests for shape helpers: broadcasting, strides and axis normalisation.
import { describe, expect, it } from "vitest";
import {
  broadcastShapes, broadcastStrides, formatShape, normalizeAxes, normalizeAxis, stridesOf,
} from "./shape.js";

describe("shape helpers", () => {
  it("formats, strides and broadcasts like NumPy", () => {
    expect(formatShape([2, 3])).toBe("[2, 3]");
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastShapes("add", [3, 1], [4])).toEqual([3, 4]);
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(() => broadcastShapes("add", [2, 3], [4])).toThrow(
      "add: shapes cannot be broadcast together; got [2, 3] and [4]",
    );
  });

  it("normalises negative and repeated axes", () => {
    expect(normalizeAxis("sum", -1, 3)).toBe(2);
    expect(normalizeAxes("sum", [-1, 0], 3)).toEqual([0, 2]);
    expect(() => normalizeAxes("sum", [1, -1], 2)).toThrow(/repeated axis/);
  });
});

describe("axes of a scalar", () => {
  it("has no valid axis, positive or negative", () => {
    expect(() => normalizeAxis("sum", 0, 0)).toThrow(
      /axis 0 is out of range for rank 0; valid: no axes/,
    );
    expect(() => normalizeAxis("sum", -1, 0)).toThrow(/axis -1 is out of range for rank 0/);
  });
});
