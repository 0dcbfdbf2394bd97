// conv2d/conv1d properties: values and gradients against direct loops written here (not the
// kernels' code) over random strides, paddings, dilations, groups and odd sizes; float64
// gradchecks; second order (Hessian-vector products) through a small conv net.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad, hvp } from "../src/functional.js";
import { add, conv1d, conv2d, mul, reshape, sum, tanh } from "../src/ops/all.js";
import type { Conv2dOptions } from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";
import { float64Tensor } from "./arbitraries.js";

interface Setup {
  n: number; c: number; h: number; w: number; k: number; groups: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  ph: number; pw: number; same: boolean; options: Conv2dOptions;
}

/** Sizes with every attribute drawn; "same" only with stride 1, as PyTorch allows. */
const setupArb = (maxSide = 7): fc.Arbitrary<Setup> => fc.record({
  n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 2 }), kgroup: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: maxSide }), w: fc.integer({ min: 1, max: maxSide }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 2 }),
  dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
  ph: fc.integer({ min: 0, max: 3 }), pw: fc.integer({ min: 0, max: 2 }),
  same: fc.boolean(), relu: fc.boolean(),
}).map((s) => {
  const same = s.same && s.sh === 1 && s.sw === 1;
  return {
    n: s.n, c: s.cg * s.groups, h: s.h, w: s.w, k: s.kgroup * s.groups, groups: s.groups,
    kh: s.kh, kw: s.kw, sh: s.sh, sw: s.sw, dh: s.dh, dw: s.dw, ph: s.ph, pw: s.pw, same,
    options: {
      stride: [s.sh, s.sw], dilation: [s.dh, s.dw], groups: s.groups,
      padding: same ? "same" : [s.ph, s.pw], activation: s.relu ? "relu" : "identity",
    } as Conv2dOptions,
  };
}).filter((s) => outSize(s) !== null);

/** Pads [top, bottom, left, right] and the output size, or null when it would be empty. */
function geometry(s: Setup) {
  const { sh, sw, dh, dw } = s;
  let pads: number[];
  if (s.same) {
    const [th, tw] = [dh * (s.kh - 1), dw * (s.kw - 1)];
    pads = [Math.floor(th / 2), Math.ceil(th / 2), Math.floor(tw / 2), Math.ceil(tw / 2)];
  } else {
    pads = [s.ph, s.ph, s.pw, s.pw];
  }
  const oh = Math.floor((s.h + pads[0] + pads[1] - dh * (s.kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((s.w + pads[2] + pads[3] - dw * (s.kw - 1) - 1) / sw) + 1;
  return { sh, sw, dh, dw, pt: pads[0], pl: pads[2], oh, ow };
}
const outSize = (s: Setup) => {
  const g = geometry(s);
  return g.oh >= 1 && g.ow >= 1 ? [g.oh, g.ow] : null;
};

/**
 * Calls visit(output index, input index, weight index) for every product term of the
 * convolution: the definition, one term at a time, with bounds checks instead of padding.
 */
function forEachTerm(s: Setup, visit: (o: number, i: number, wi: number) => void): void {
  const g = geometry(s);
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  for (let n = 0; n < s.n; n++) {
    for (let k = 0; k < s.k; k++) {
      const group = Math.floor(k / kg);
      for (let y = 0; y < g.oh; y++) {
        for (let x = 0; x < g.ow; x++) {
          const o = ((n * s.k + k) * g.oh + y) * g.ow + x;
          for (let ci = 0; ci < cg; ci++) {
            for (let r = 0; r < s.kh; r++) {
              for (let q = 0; q < s.kw; q++) {
                const iy = y * g.sh - g.pt + r * g.dh;
                const ix = x * g.sw - g.pl + q * g.dw;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const c = group * cg + ci;
                const i = ((n * s.c + c) * s.h + iy) * s.w + ix;
                visit(o, i, ((k * cg + ci) * s.kh + r) * s.kw + q);
              }
            }
          }
        }
      }
    }
  }
}

/** The convolution, its input gradient and its weight gradient by the definition. */
function reference(s: Setup, x: Float64Array, w: Float64Array, b: Float64Array, dy: Float64Array) {
  const [oh, ow] = outSize(s)!;
  const z = new Float64Array(s.n * s.k * oh * ow);
  forEachTerm(s, (o, i, wi) => (z[o] += x[i] * w[wi]));
  const plane = oh * ow;
  z.forEach((v, o) => (z[o] = v + b[Math.floor(o / plane) % s.k]));
  const relu = s.options.activation === "relu";
  const y = z.map((v) => (relu && v <= 0 ? 0 : v));
  const dz = dy.map((v, o) => (relu && z[o] <= 0 ? 0 : v));
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTerm(s, (o, i, wi) => {
    dx[i] += dz[o] * w[wi];
    dw[wi] += dz[o] * x[i];
  });
  const db = new Float64Array(s.k);
  dz.forEach((v, o) => (db[Math.floor(o / plane) % s.k] += v));
  return { y, dx, dw, db };
}

const caseArb = (maxSide = 7) => setupArb(maxSide).chain((s) => fc.record({
  s: fc.constant(s),
  x: float64Tensor([s.n, s.c, s.h, s.w]),
  w: float64Tensor([s.k, s.c / s.groups, s.kh, s.kw]),
  b: float64Tensor([s.k]),
  dy: float64Tensor([s.n, s.k, ...outSize(s)!]),
}));

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
  }
}

describe("conv2d against the definition", { timeout: 120_000 }, () => {
  it("values and every gradient match direct loops (float64, random attributes)", () => {
    fc.assert(fc.property(caseArb(), ({ s, x, w, b, dy }) => {
      const ref = reference(s, x.data as Float64Array, w.data as Float64Array,
        b.data as Float64Array, dy.data as Float64Array);
      const [xv, wv, bv] = [x, w, b].map((t) => new Tensor(t.data.slice(), t.shape).requireGrad());
      const y = conv2d(xv, wv, bv, s.options);
      expectNear(y.data, ref.y);
      sum(mul(y, dy)).backward();
      expectNear(xv.grad!.data, ref.dx);
      expectNear(wv.grad!.data, ref.dw);
      expectNear(bv.grad!.data, ref.db);
    }), { numRuns: 150 });
  });

  it("float32 agrees with float64 to float32 rounding", () => {
    fc.assert(fc.property(caseArb(), ({ s, x, w, b }) => {
      const y64 = conv2d(x, w, b, s.options);
      const to32 = (t: Tensor) => new Tensor(Float32Array.from(t.data), t.shape);
      const y32 = conv2d(to32(x), to32(w), to32(b), s.options);
      const terms = (s.c / s.groups) * s.kh * s.kw;
      expectNear(y32.data, y64.data, 2e-7 * terms + 1e-6);
    }), { numRuns: 60 });
  });

  it("conv1d equals conv2d on a height-1 view", () => {
    fc.assert(fc.property(caseArb(), ({ s, x, w, b }) => {
      // Rows joined into one length axis, kernels likewise: a 1-D problem of any size.
      const { sw, dw, same, pw } = s;
      const [length, taps] = [s.h * s.w, s.kh * s.kw];
      fc.pre(Math.floor((length + 2 * (same ? 0 : pw) - dw * (taps - 1) - 1) / sw) >= 0);
      const x3 = reshape(x, [s.n, s.c, length]);
      const w3 = reshape(w, [s.k, s.c / s.groups, taps]);
      const padding = same ? "same" as const : pw;
      const y1 = conv1d(x3, w3, b, { stride: sw, dilation: dw, padding, groups: s.groups });
      const y2 = conv2d(reshape(x3, [s.n, s.c, 1, length]), reshape(w3, [s.k, -1, 1, taps]), b, {
        stride: [1, sw], dilation: [1, dw], padding: same ? "same" : [0, pw], groups: s.groups,
      });
      expect(y1.shape).toEqual([y2.shape[0], y2.shape[1], y2.shape[3]]);
      expect(Array.from(y1.data)).toEqual(Array.from(y2.data));
    }), { numRuns: 60 });
  });
});

describe("conv2d gradchecks (float64 central differences)", { timeout: 120_000 }, () => {
  // Step 1e-5, not the default 1e-6: conv (and relu away from its kink) is piecewise linear, so
  // the central difference has no truncation error, and its rounding error, about 2^-52·|f|/step,
  // reached 1.2e-8 (past atol 1e-8) with the default step (fast-check seed 69779299). One
  // element moved by 1e-5 moves an output by at most 2e-5, far inside the kink margin of 1e-3.
  const step = { eps: 1e-5 };
  it("every attribute combination, bias included", () => {
    fc.assert(fc.property(caseArb(5), ({ s, x, w, b }) => {
      const options = { ...s.options, activation: "identity" as const };
      gradcheck((xi, wi, bi) => conv2d(xi, wi, bi, options), [x, w, b], step);
    }), { numRuns: 40 });
  });

  it("fused relu away from its kink", () => {
    fc.assert(fc.property(caseArb(5), ({ s, x, w, b }) => {
      const z = conv2d(x, w, b, { ...s.options, activation: "identity" });
      fc.pre(z.data.every((v) => Math.abs(v) > 1e-3));
      gradcheck((xi, wi, bi) => conv2d(xi, wi, bi, { ...s.options, activation: "relu" }),
        [x, w, b], step);
    }), { numRuns: 30 });
  });

  it("the gradient ops' own gradients (second order), checked by gradchecks of the vjp", () => {
    fc.assert(fc.property(caseArb(4), ({ s, x, w, dy }) => {
      const options = { ...s.options, activation: "identity" as const };
      // ⟨dy, conv(x, w)⟩ differentiated once by the tape, then checked by differences.
      const dx = (xi: Tensor, wi: Tensor) =>
        grad((a: Tensor) => sum(mul(conv2d(a, wi, null, options), dy)))(xi);
      const dw = (xi: Tensor, wi: Tensor) =>
        grad((a: Tensor) => sum(mul(conv2d(xi, a, null, options), dy)))(wi);
      gradcheck((xi, wi) => tanh(dx(xi, wi)), [x, w]);
      gradcheck((xi, wi) => tanh(dw(xi, wi)), [x, w]);
    }), { numRuns: 25 });
  });
});

describe("second order through a small conv net", { timeout: 120_000 }, () => {
  it("Hessian-vector products match finite differences of gradients", () => {
    const setup = fc.record({
      x: float64Tensor([2, 2, 6, 5], { min: -1, max: 1 }),
      w1: float64Tensor([3, 2, 3, 3], { min: -0.5, max: 0.5 }),
      w2: float64Tensor([2, 3, 2, 2], { min: -0.5, max: 0.5 }),
      v: float64Tensor([3, 2, 3, 3]),
    });
    fc.assert(fc.property(setup, ({ x, w1, w2, v }) => {
      const loss = (w: Tensor) => {
        const h = tanh(conv2d(x, w, null, { padding: 1, stride: [1, 2] }));
        const y = conv2d(h, w2, null, { dilation: [2, 1], groups: 1 });
        return sum(mul(tanh(add(y, 0.1)), y));
      };
      const exact = hvp(loss, w1, v);
      const eps = 1e-5;
      const shifted = (sign: number) => new Tensor(
        w1.data.map((value, i) => value + sign * eps * v.data[i]), w1.shape);
      const gPlus = grad(loss)(shifted(1));
      const gMinus = grad(loss)(shifted(-1));
      const numeric = gPlus.data.map((value, i) => (value - gMinus.data[i]) / (2 * eps));
      expectNear(exact.data, numeric, 1e-6);
    }), { numRuns: 15 });
  });
});
