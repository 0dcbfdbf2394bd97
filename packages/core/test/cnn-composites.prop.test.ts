// Gradchecks (float64) of the CNN ops built on others: conv1d, globalAvgPool2d, flatten,
// dropout with a given mask, and classProbabilities as a constant target.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  classProbabilities, conv1d, dropout, flatten, globalAvgPool2d, logSoftmax, mul, neg, sum, tanh,
} from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";
import { float64Tensor } from "./arbitraries.js";

const dim = (max: number) => fc.integer({ min: 1, max });

describe("gradchecks of the composite CNN ops", { timeout: 120_000 }, () => {
  it("conv1d over strides, paddings (same included), dilations and groups", () => {
    const setup = fc.record({
      n: dim(2), groups: dim(2), cg: dim(2), kg: dim(2), length: dim(9), kw: dim(4),
      stride: dim(2), dilation: dim(2), padding: fc.constantFrom<number | "same">(0, 1, 2, "same"),
    }).filter((s) => s.padding !== "same" || s.stride === 1)
      .filter((s) => s.length + 2 * (s.padding === "same" ? 0 : s.padding) >=
        s.dilation * (s.kw - 1) + 1)
      .chain((s) => fc.record({
        s: fc.constant(s),
        x: float64Tensor([s.n, s.cg * s.groups, s.length]),
        w: float64Tensor([s.kg * s.groups, s.cg, s.kw]),
        b: float64Tensor([s.kg * s.groups]),
      }));
    fc.assert(fc.property(setup, ({ s, x, w, b }) => {
      const { stride, dilation, padding, groups } = s;
      const options = { stride, dilation, padding, groups };
      gradcheck((xi, wi, bi) => conv1d(xi, wi, bi, options), [x, w, b]);
    }), { numRuns: 40 });
  });

  it("globalAvgPool2d and flatten", () => {
    const setup = fc.tuple(dim(2), dim(3), dim(4), dim(4))
      .chain((shape) => float64Tensor(shape));
    fc.assert(fc.property(setup, (x) => {
      gradcheck((xi) => globalAvgPool2d(xi), [x]);
      gradcheck((xi) => globalAvgPool2d(xi, { keepdims: true }), [x]);
      gradcheck((xi) => tanh(flatten(xi, 1, 2)), [x]);
    }), { numRuns: 30 });
  });

  it("dropout with a given mask, and cross-entropy against classProbabilities targets", () => {
    const setup = fc.tuple(dim(3), dim(4), dim(3)).chain(([n, c, h]) => fc.record({
      x: float64Tensor([n, c, h]),
      mask: fc.array(fc.boolean(), { minLength: n * c * h, maxLength: n * c * h })
        .map((keep) => new Tensor(Float64Array.from(keep, (k) => (k ? 1 : 0)), [n, c, h])),
      labels: fc.array(fc.nat({ max: c - 1 }), { minLength: n * h, maxLength: n * h })
        .map((l) => new Tensor(Float64Array.from(l), [n, h])),
      smoothing: fc.constantFrom(0, 0.1, 0.5),
    }));
    fc.assert(fc.property(setup, ({ x, mask, labels, smoothing }) => {
      gradcheck((xi) => dropout(xi, 0.3, { mask }), [x]);
      const c = x.shape[1];
      const q = classProbabilities(labels, c, { labelSmoothing: smoothing, dtype: "float64" });
      gradcheck((xi) => neg(sum(mul(q, logSoftmax(xi, 1)))), [x]);
    }), { numRuns: 30 });
  });
});
