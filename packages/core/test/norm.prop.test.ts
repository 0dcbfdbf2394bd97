// batchNorm, layerNorm and embedding properties: values against loops written here, running
// statistics against PyTorch's update rule, float64 gradchecks to second order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import { batchNorm, embedding, layerNorm, mul, sum, tanh } from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";
import { float64Tensor } from "./arbitraries.js";

const shapeArb = fc.record({
  n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 3 }),
  spatial: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
}).filter(({ n, spatial }) => n * spatial.reduce((a, b) => a * b, 1) >= 2)
  .map(({ n, c, spatial }) => [n, c, ...spatial]);

const bnCase = shapeArb.chain((shape) => fc.record({
  x: float64Tensor(shape), weight: float64Tensor([shape[1]]), bias: float64Tensor([shape[1]]),
  mean: float64Tensor([shape[1]]), variance: float64Tensor([shape[1]], { positive: true }),
  momentum: fc.double({ min: 0, max: 1, noNaN: true }),
}));

/** Per-channel statistics and the normalized output, by loops over the NC... layout. */
function reference(x: Tensor, w: Tensor, b: Tensor, eps: number, stats?: [Tensor, Tensor]) {
  const [n, c] = x.shape;
  const inner = x.size / (n * c);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const each = (f: (ch: number, i: number) => void) => {
    for (let b0 = 0; b0 < n; b0++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < inner; i++) f(ch, (b0 * c + ch) * inner + i);
      }
    }
  };
  if (stats) {
    mean.set(stats[0].data);
    variance.set(stats[1].data);
  } else {
    each((ch, i) => (mean[ch] += x.data[i] / (n * inner)));
    each((ch, i) => (variance[ch] += (x.data[i] - mean[ch]) ** 2 / (n * inner)));
  }
  const y = new Float64Array(x.size);
  each((ch, i) => {
    y[i] = ((x.data[i] - mean[ch]) / Math.sqrt(variance[ch] + eps)) * w.data[ch] + b.data[ch];
  });
  return { y, mean, variance, count: n * inner };
}

describe("batchNorm", { timeout: 120_000 }, () => {
  it("training: values, and the running statistics move as PyTorch's do", () => {
    fc.assert(fc.property(bnCase, ({ x, weight, bias, mean, variance, momentum }) => {
      const [runningMean, runningVar] = [mean.clone(), variance.clone()];
      const y = batchNorm(x, { runningMean, runningVar, weight, bias, momentum, training: true });
      const ref = reference(x, weight, bias, 1e-5);
      ref.y.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 10));
      const unbias = ref.count / (ref.count - 1);
      ref.mean.forEach((m, ch) => {
        const moved = (1 - momentum) * mean.data[ch] + momentum * m;
        expect(runningMean.data[ch]).toBeCloseTo(moved, 13);
        expect(runningVar.data[ch]).toBeCloseTo(
          (1 - momentum) * variance.data[ch] + momentum * ref.variance[ch] * unbias, 12);
      });
    }), { numRuns: 100 });
  });

  it("eval: values from the running statistics, which stay unchanged", () => {
    fc.assert(fc.property(bnCase, ({ x, weight, bias, mean, variance }) => {
      const y = batchNorm(x, { runningMean: mean, runningVar: variance, weight, bias, eps: 1e-3 });
      const ref = reference(x, weight, bias, 1e-3, [mean, variance]);
      ref.y.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 11));
    }), { numRuns: 60 });
  });

  it("gradchecks in both modes, and of the gradient (second order)", () => {
    fc.assert(fc.property(bnCase, ({ x, weight, bias, mean, variance }) => {
      const options = { eps: 1e-3 };
      gradcheck((xi, wi, bi) => batchNorm(xi, { ...options, weight: wi, bias: bi, training: true }),
        [x, weight, bias]);
      gradcheck((xi, wi, bi) => batchNorm(xi,
        { ...options, weight: wi, bias: bi, runningMean: mean, runningVar: variance }),
        [x, weight, bias]);
      const dy = new Tensor(x.data.map((_, i) => Math.cos(i)), x.shape);
      gradcheck((xi) => tanh(grad((a: Tensor) =>
        sum(mul(batchNorm(a, { ...options, weight, training: true }), dy)))(xi)), [x]);
    }), { numRuns: 25 });
  });
});

describe("layerNorm", { timeout: 120_000 }, () => {
  const lnCase = fc.tuple(shapeArb, fc.integer({ min: 1, max: 2 })).chain(([shape, k]) => {
    const last = shape.slice(-Math.min(k, shape.length - 1));
    return fc.record({
      x: float64Tensor(shape), w: float64Tensor(last), b: float64Tensor(last),
      last: fc.constant(last),
    });
  });
  it("values against loops, and gradchecks to second order", () => {
    fc.assert(fc.property(lnCase, ({ x, w, b, last }) => {
      const y = layerNorm(x, last, { weight: w, bias: b });
      const inner = w.size;
      for (let r = 0; r < x.size / inner; r++) {
        const row = Array.from(x.data.subarray(r * inner, (r + 1) * inner));
        const m = row.reduce((a, v) => a + v, 0) / inner;
        const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / inner;
        row.forEach((u, i) => expect(y.data[r * inner + i])
          .toBeCloseTo(((u - m) / Math.sqrt(v + 1e-5)) * w.data[i] + b.data[i], 10));
      }
      gradcheck((xi, wi, bi) => layerNorm(xi, last, { weight: wi, bias: bi, eps: 1e-3 }),
        [x, w, b]);
      // Second order: layerNorm runs on batch norm's fused op, whose recorded VJP is ops.
      const dy = new Tensor(x.data.map((_, i) => Math.cos(i)), x.shape);
      gradcheck((xi) => tanh(grad((a: Tensor) =>
        sum(mul(layerNorm(a, last, { weight: w, eps: 1e-3 }), dy)))(xi)), [x]);
    }), { numRuns: 40 });
  });
});

describe("embedding", { timeout: 120_000 }, () => {
  it("gradcheck into the table, with repeated indices", () => {
    const setup = fc.record({
      rows: fc.integer({ min: 1, max: 5 }), dim: fc.integer({ min: 1, max: 3 }),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    }).chain(({ rows, dim, picks }) => fc.record({
      table: float64Tensor([rows, dim]),
      indices: fc.constant(new Tensor(Float64Array.from(picks, (p) => p % rows), [picks.length])),
    }));
    fc.assert(fc.property(setup, ({ table, indices }) => {
      gradcheck((t) => tanh(embedding(indices, t)), [table]);
      const lookup = (t: Tensor) => embedding(indices, t);
      gradcheck((t) => grad((a: Tensor) => sum(mul(lookup(a), lookup(t))))(t), [table]);
    }), { numRuns: 40 });
  });
});
