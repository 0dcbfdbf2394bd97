// Pooling properties: values and gradients against window loops written here (PyTorch's sizes
// and divisors, stated independently of the kernels), and float64 gradchecks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import { avgPool2d, maxPool2d, mul, sum } from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";
import { float64Tensor } from "./arbitraries.js";

interface Setup {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  dh: number; dw: number; ceil: boolean; countIncludePad: boolean;
}

/** One axis: output size by PyTorch's rule, spelled out. */
function axisSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  const extent = d * (k - 1) + 1;
  const room = size + 2 * p - extent;
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  // A last window must start inside the input or its left padding.
  if (ceil && (out - 1) * s >= size + p) out -= 1;
  return out;
}

const setupArb = (dilated: boolean): fc.Arbitrary<Setup> => fc.record({
  n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  ph: fc.integer({ min: 0, max: 1 }), pw: fc.integer({ min: 0, max: 1 }),
  dh: fc.integer({ min: 1, max: dilated ? 2 : 1 }),
  dw: fc.integer({ min: 1, max: dilated ? 2 : 1 }),
  ceil: fc.boolean(), countIncludePad: fc.boolean(),
}).filter((s) => 2 * s.ph <= s.kh && 2 * s.pw <= s.kw &&
  axisSize(s.h, s.kh, s.sh, s.ph, s.dh, s.ceil) >= 1 &&
  axisSize(s.w, s.kw, s.sw, s.pw, s.dw, s.ceil) >= 1);

/** Visits each output's window: the input positions in it, and the window's two divisors. */
function windows(
  s: Setup,
  visit: (o: number, inside: number[], padded: number) => void,
): [number, number] {
  const oh = axisSize(s.h, s.kh, s.sh, s.ph, s.dh, s.ceil);
  const ow = axisSize(s.w, s.kw, s.sw, s.pw, s.dw, s.ceil);
  let o = 0;
  for (let p = 0; p < s.n * s.c; p++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++, o++) {
        const inside: number[] = [];
        let rows = 0;
        let cols = 0;
        for (let r = 0; r < s.kh; r++) {
          const i = y * s.sh - s.ph + r * s.dh;
          if (i < s.h + s.ph) rows++; // counted when inside the padded input
          for (let q = 0; q < s.kw; q++) {
            const j = x * s.sw - s.pw + q * s.dw;
            if (r === 0 && j < s.w + s.pw) cols++;
            if (i >= 0 && i < s.h && j >= 0 && j < s.w) inside.push((p * s.h + i) * s.w + j);
          }
        }
        visit(o, inside, rows * cols);
      }
    }
  }
  return [oh, ow];
}

const caseArb = (dilated: boolean) => setupArb(dilated).chain((s) => {
  const [oh, ow] = windows(s, () => undefined);
  return fc.record({
    s: fc.constant(s),
    // Distinct values: no ties, so the max gradient has one answer.
    x: fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }),
      { minLength: s.n * s.c * s.h * s.w, maxLength: s.n * s.c * s.h * s.w })
      .map((v) => new Tensor(Float64Array.from(v, (k) => k / 100), [s.n, s.c, s.h, s.w])),
    dy: float64Tensor([s.n, s.c, oh, ow]),
  });
});

const maxOptions = (s: Setup) => ({
  kernelSize: [s.kh, s.kw] as [number, number], stride: [s.sh, s.sw] as [number, number],
  padding: [s.ph, s.pw] as [number, number], dilation: [s.dh, s.dw] as [number, number],
  ceilMode: s.ceil,
});
const avgOptions = (s: Setup) => ({
  kernelSize: [s.kh, s.kw] as [number, number], stride: [s.sh, s.sw] as [number, number],
  padding: [s.ph, s.pw] as [number, number], ceilMode: s.ceil,
  countIncludePad: s.countIncludePad,
});

describe("maxPool2d against window loops", { timeout: 120_000 }, () => {
  it("values and gradients (float64, distinct values, random attributes)", () => {
    fc.assert(fc.property(caseArb(true), ({ s, x, dy }) => {
      const xv = x.clone().requireGrad();
      const y = maxPool2d(xv, maxOptions(s));
      const want: number[] = [];
      const dx = new Float64Array(x.size);
      windows(s, (o, inside) => {
        // With dilation a window may miss the input: −∞, and no gradient.
        if (inside.length === 0) { want.push(-Infinity); return; }
        const best = inside.reduce((a, i) => (x.data[i] > x.data[a] ? i : a), inside[0]);
        want.push(x.data[best]);
        dx[best] += dy.data[o];
      });
      expect(Array.from(y.data)).toEqual(want);
      sum(mul(y, dy)).backward();
      expect(Array.from(xv.grad!.data)).toEqual(Array.from(dx));
    }), { numRuns: 200 });
  });
  it("gradcheck, and gradients of the gradient", () => {
    fc.assert(fc.property(caseArb(true), ({ s, x, dy }) => {
      // Finite differences of a −∞ output (a window missing the input) are NaN.
      fc.pre(maxPool2d(x, maxOptions(s)).data.every(Number.isFinite));
      gradcheck((xi) => maxPool2d(xi, maxOptions(s)), [x]);
      gradcheck((xi, g) => grad((a: Tensor) => sum(mul(maxPool2d(a, maxOptions(s)), g)))(xi),
        [x, dy]);
    }), { numRuns: 40 });
  });
});

describe("avgPool2d against window loops", { timeout: 120_000 }, () => {
  it("values and gradients, padding counted or not, ceil mode", () => {
    fc.assert(fc.property(caseArb(false), ({ s, x, dy }) => {
      const xv = x.clone().requireGrad();
      const y = avgPool2d(xv, avgOptions(s));
      const want: number[] = [];
      const dx = new Float64Array(x.size);
      windows(s, (o, inside, padded) => {
        const divisor = s.countIncludePad ? padded : inside.length;
        want.push(inside.reduce((a, i) => a + x.data[i], 0) / divisor);
        for (const i of inside) dx[i] += dy.data[o] / divisor;
      });
      want.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 12));
      sum(mul(y, dy)).backward();
      dx.forEach((v, i) => expect(xv.grad!.data[i]).toBeCloseTo(v, 12));
    }), { numRuns: 200 });
  });
  it("gradcheck, and gradients of the gradient", () => {
    fc.assert(fc.property(caseArb(false), ({ s, x, dy }) => {
      gradcheck((xi) => avgPool2d(xi, avgOptions(s)), [x]);
      // The backward op, as a function of dy: its vjp is the forward pooling.
      gradcheck((xi, g) => grad((a: Tensor) => sum(mul(avgPool2d(a, avgOptions(s)), g)))(xi),
        [x, dy]);
    }), { numRuns: 40 });
  });
});
