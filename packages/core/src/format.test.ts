// Tensor printing: column alignment, number formats, summarising, wrapping, notes.
import { describe, expect, it } from "vitest";
import { tensor, zeros } from "./creation.js";
import { formatTensor } from "./format.js";
import { Tensor } from "./tensor.js";

describe("formatTensor / Tensor.toString", () => {
  it("aligns a matrix in columns with 4 decimals, rows on their own lines", () => {
    expect(String(tensor([[0.3, -1.2], [2, 0.7]]))).toBe(
      "tensor([[ 0.3000, -1.2000],\n" +
      "        [ 2.0000,  0.7000]])",
    );
  });

  it("prints integers as `3.`, scalars bare, and notes float64 and requiresGrad", () => {
    expect(tensor([1, -2, 30], { dtype: "float64" }).toString())
      .toBe("tensor([ 1., -2., 30.], dtype=float64)");
    expect(tensor(3.5).toString()).toBe("tensor(3.5000)");
    const w = tensor([0.5], { requiresGrad: true });
    expect(w.toString()).toBe("tensor([0.5000], requiresGrad=true)");
  });

  it("switches to exponent form for a wide range and shows nan/inf", () => {
    expect(tensor([1e-5, 1, 1e5]).toString())
      .toBe("tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])");
    expect(tensor([Number.NaN, Infinity, -Infinity, 1.5]).toString())
      .toBe("tensor([   nan,    inf,   -inf, 1.5000])");
  });

  it("summarises past the threshold with ... on every long axis and adds the shape", () => {
    const data = new Float32Array(40 * 50).map((_, i) => i);
    const text = new Tensor(data, [40, 50]).toString();
    const lines = text.split("\n");
    expect(lines).toHaveLength(7); // 3 rows, "...", 3 rows
    expect(lines[0]).toBe("tensor([[   0.,    1.,    2., ...,   47.,   48.,   49.],");
    expect(lines[3]).toBe("        ...,");
    expect(lines[6]).toBe("        [1950., 1951., 1952., ..., 1997., 1998., 1999.]], " +
      "shape=[40, 50])");
    expect(formatTensor(new Tensor(data, [40, 50]), { threshold: 5000 })).not.toContain("...");
  });

  it("wraps a long row at the line width, continuing under the first value", () => {
    const text = formatTensor(new Tensor(new Float32Array(20).map((_, i) => i), [20]), {
      lineWidth: 40,
    });
    expect(text).toBe(
      "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,\n" +
      "         6.,  7.,  8.,  9., 10., 11.,\n" +
      "        12., 13., 14., 15., 16., 17.,\n" +
      "        18., 19.])",
    );
  });

  it("separates rank-3 blocks by a blank line; an empty tensor shows its shape", () => {
    expect(tensor([[[1]], [[2]]]).toString()).toBe("tensor([[[1.]],\n\n        [[2.]]])");
    expect(zeros([0, 3]).toString()).toBe("tensor([], shape=[0, 3])");
  });

  it("uses the precision option", () => {
    expect(formatTensor(tensor([Math.PI]), { precision: 2 })).toBe("tensor([3.14])");
  });
});
