// The single-channel sparse weight gradient (tapWeight: lanes over a kernel row's taps) against
// float32 sums in its stated order, bit for bit, on random shapes (odd sizes, strides, row
// dilations, paddings) with ±0, ±∞ and NaN in dy, in place and copied, on 1 and 3 threads.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type ConvGeometry, conv2dWeightGrad } from "../src/kernels/conv.js";
import { installWasmCnn } from "../src/kernels/cnn-install.js";
import { wasmConv2dWeightGrad } from "../src/kernels/wasm/conv-run.js";
import { wasmCnnReady } from "../src/kernels/wasm/conv-space.js";
import { setSparsePolicy, tapWeightOk } from "../src/kernels/wasm/scatter-run.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmulConfig, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import { Rng } from "../src/random.js";

installWasmCnn();

const geometryArb: fc.Arbitrary<ConvGeometry> = fc.record({
  n: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 11 }),
  h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 13 }),
  kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 4, max: 8 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 2 }),
  pt: fc.integer({ min: 0, max: 3 }), pb: fc.integer({ min: 0, max: 3 }),
  pl: fc.integer({ min: 0, max: 4 }), pr: fc.integer({ min: 0, max: 4 }),
}).map((s) => ({
  ...s, c: 1, groups: 1, dw: 1,
  oh: Math.floor((s.h + s.pt + s.pb - s.dh * (s.kh - 1) - 1) / s.sh) + 1,
  ow: Math.floor((s.w + s.pl + s.pr - (s.kw - 1) - 1) / s.sw) + 1,
})).filter((g) => g.oh >= 1 && g.ow >= 1);

const SPECIALS = [Infinity, -Infinity, NaN] as const;

/** x (padded, finite, ±0 around) and dy (`density` nonzero, ±0, and a few specials). */
function operands(g: ConvGeometry, seed: number, density: number, specials: boolean,
  resident: boolean): { xp: Float32Array; dy: Float32Array } {
  const rng = new Rng(seed);
  const [hp, wp] = [g.h + g.pt + g.pb, g.w + g.pl + g.pr];
  const array = (size: number) => (resident ? residentFloat32(size) : null) ??
    new Float32Array(size);
  const xp = array(g.n * hp * wp);
  for (let n = 0; n < g.n; n++) {
    for (let y = 0; y < g.h; y++) {
      for (let x = 0; x < g.w; x++) {
        const u = rng.next();
        xp[(n * hp + y + g.pt) * wp + x + g.pl] = u < 0.3 ? 0 : u < 0.4 ? -0 : rng.uniform(-2, 2);
      }
    }
  }
  const dy = array(g.n * g.k * g.oh * g.ow);
  for (let i = 0; i < dy.length; i++) {
    const u = rng.next();
    dy[i] = u < density ? rng.uniform(-2, 2) : rng.next() < 0.5 ? 0 : -0;
    if (specials && rng.next() < 0.02) dy[i] = SPECIALS[Math.floor(rng.next() * 3)];
  }
  return { xp, dy };
}

/** dw as float32 sums from +0 over dy's nonzeros in order (n, y, x), each product rounded. */
function reference(g: ConvGeometry, xp: Float32Array, dy: Float32Array): Float32Array {
  const [hp, wp] = [g.h + g.pt + g.pb, g.w + g.pl + g.pr];
  const dw = new Float32Array(g.k * g.kh * g.kw);
  for (let k = 0; k < g.k; k++) {
    for (let r = 0; r < g.kh; r++) {
      for (let s = 0; s < g.kw; s++) {
        let acc = 0;
        for (let n = 0; n < g.n; n++) {
          for (let y = 0; y < g.oh; y++) {
            for (let x = 0; x < g.ow; x++) {
              const v = dy[((n * g.k + k) * g.oh + y) * g.ow + x];
              if (v === 0) continue;
              const xv = xp[(n * hp + y * g.sh + r * g.dh) * wp + x * g.sw + s];
              acc = Math.fround(acc + Math.fround(v * xv));
            }
          }
        }
        dw[(k * g.kh + r) * g.kw + s] = acc;
      }
    }
  }
  return dw;
}

/** The bit patterns, ±0 apart; NaN as one value (JavaScript does not keep a NaN's sign). */
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length),
  (b, i) => (Number.isNaN(x[i]) ? "NaN" : b));
const defaults = wasmMatmulConfig();
const configs: Array<[string, Parameters<typeof setWasmMatmulConfig>[0]]> = [["1 thread", {}]];
if (wasmThreadsAvailable()) configs.push(["3 threads", { threads: 3, parallelFlops: 0 }]);

describe.each(configs)("tapWeight (%s)", (_, config) => {
  afterAll(() => {
    setSparsePolicy("auto");
    setWasmMatmulConfig({ ...defaults });
  });

  it("runs on the module's CNN functions, for one input channel and 4 to 8 taps a row", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    expect(wasmCnnReady()).toBe(true);
    const g = { n: 1, c: 1, h: 5, w: 5, k: 2, groups: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1,
      dw: 1, pt: 0, pb: 0, pl: 0, pr: 0, oh: 1, ow: 1 };
    expect(tapWeightOk(g)).toBe(true);
    expect(tapWeightOk({ ...g, c: 2 })).toBe(false);
    expect(tapWeightOk({ ...g, kw: 3, w: 3 })).toBe(false);
    expect(tapWeightOk({ ...g, dw: 2 })).toBe(false);
  });

  it("gives float32 sums in order over dy's nonzeros, bit for bit", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    setSparsePolicy("always");
    fc.assert(fc.property(geometryArb, fc.constantFrom(0, 0.1, 0.5, 1), fc.boolean(),
      fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (g, density, specials, resident, seed) => {
        const { xp, dy } = operands(g, seed, density, specials, resident);
        const dw = new Float32Array(g.k * g.kh * g.kw).fill(7);
        wasmConv2dWeightGrad({ xPadded: xp, dy, dw, geometry: g });
        expect(bits(dw)).toEqual(bits(reference(g, xp, dy)));
      }), { numRuns: 150 });
  });

  it("agrees with the TypeScript kernel (float64 sums) within float32 summation error", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    setSparsePolicy("always");
    fc.assert(fc.property(geometryArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (g, seed) => {
      const { xp, dy } = operands(g, seed, 0.3, false, false);
      const dw = new Float32Array(g.k * g.kh * g.kw);
      const want = new Float32Array(dw.length);
      wasmConv2dWeightGrad({ xPadded: xp, dy, dw, geometry: g });
      conv2dWeightGrad({ xPadded: xp, dy, dw: want, geometry: g });
      const terms = g.n * g.oh * g.ow;
      for (let i = 0; i < dw.length; i++) {
        // |Σ| ≤ terms·2·2, so the float32 error is within (terms + 2)·2⁻²⁴·4·terms
        expect(Math.abs(dw[i] - want[i])).toBeLessThanOrEqual((terms + 2) * 2 ** -24 * 4 * terms);
      }
    }), { numRuns: 80 });
  });

  it("leaves non-finite x to a path that keeps 0·∞ = NaN", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    setSparsePolicy("always");
    const g = { n: 1, c: 1, h: 4, w: 6, k: 1, groups: 1, kh: 1, kw: 4, sh: 1, sw: 1, dh: 1,
      dw: 1, pt: 0, pb: 0, pl: 0, pr: 0, oh: 4, ow: 3 };
    const xp = new Float32Array(24).fill(1);
    xp[0] = Infinity; // read only by dy[0, 0, 0, 0], which is 0: the sum is NaN
    const dy = new Float32Array(12).fill(1);
    dy[0] = 0;
    const dw = new Float32Array(4);
    const want = new Float32Array(4);
    wasmConv2dWeightGrad({ xPadded: xp, dy, dw, geometry: g });
    conv2dWeightGrad({ xPadded: xp, dy, dw: want, geometry: g });
    expect(Number.isNaN(want[0])).toBe(true);
    expect(Array.from(dw)).toEqual(Array.from(want));
  });
});
