// The WebAssembly convolution and pooling kernels against the TypeScript ones on random shapes
// (odd sizes, strides, paddings, dilations, groups), in place and copied, on 1 and 3 threads.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ConvGeometry, channelSum, conv2d, conv2dInputGrad, conv2dWeightGrad, padPlanes, paddedSize,
} from "../src/kernels/conv.js";
import { type PoolGeometry, maxPool2d, maxPool2dBackward } from "../src/kernels/pool.js";
import {
  wasmChannelSum, wasmConv2d, wasmConv2dInputGrad, wasmConv2dWeightGrad, wasmMaxPool2d,
  wasmMaxPool2dBackward, wasmPadPlanes,
} from "../src/kernels/wasm/conv-run.js";
import { wasmLeakyStepMul } from "../src/kernels/wasm/map-runner.js";
import { setSparsePolicy } from "../src/kernels/wasm/scatter-run.js";
import { installWasmCnn } from "../src/kernels/cnn-install.js";
import { wasmCnnReady } from "../src/kernels/wasm/conv-space.js";

// The runners fall back to TypeScript without the module's CNN functions: install them, and
// check below that they are there, so these tests never compare TypeScript with itself.
installWasmCnn();
import { leakyStepMul } from "../src/kernels/elementwise.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmulConfig, wasmRelaxedSimdAvailable,
  wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import { Rng } from "../src/random.js";

const geometryArb: fc.Arbitrary<ConvGeometry> = fc.record({
  n: fc.integer({ min: 1, max: 3 }), groups: fc.integer({ min: 1, max: 2 }),
  cg: fc.integer({ min: 1, max: 5 }), kg: fc.integer({ min: 1, max: 11 }),
  h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 13 }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 7 }),
  sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
  pt: fc.integer({ min: 0, max: 3 }), pb: fc.integer({ min: 0, max: 2 }),
  pl: fc.integer({ min: 0, max: 2 }), pr: fc.integer({ min: 0, max: 3 }),
}).map((s) => ({
  n: s.n, c: s.cg * s.groups, h: s.h, w: s.w, k: s.kg * s.groups, groups: s.groups,
  kh: s.kh, kw: s.kw, sh: s.sh, sw: s.sw, dh: s.dh, dw: s.dw,
  pt: s.pt, pb: s.pb, pl: s.pl, pr: s.pr,
  oh: Math.floor((s.h + s.pt + s.pb - s.dh * (s.kh - 1) - 1) / s.sh) + 1,
  ow: Math.floor((s.w + s.pl + s.pr - s.dw * (s.kw - 1) - 1) / s.sw) + 1,
})).filter((g) => g.oh >= 1 && g.ow >= 1);

/**
 * Random values in [−2, 2), a share `1 − density` of them zero (a third by default, as after a
 * relu; 88 % for the sparse paths), in a plain or wasm array.
 */
function values(rng: Rng, size: number, resident: boolean, density = 0.67): Float32Array {
  const x = (resident ? residentFloat32(size) : null) ?? new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.next() < density ? rng.uniform(-2, 2) : 0;
  return x;
}

const abs = (x: Float32Array) => x.map(Math.abs);
/** The bit patterns: ±0 and NaN payloads count. */
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/**
 * |got − want| within the bound of float32 summation in order: (terms + 2)·2⁻²⁴·Σ|products|
 * (`scale`, the same product on absolute values), plus the float32 rounding of want itself.
 */
function expectWithin(got: Float32Array, want: Float32Array, scale: Float32Array, terms: number) {
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i]) && Object.is(got[i], want[i])) continue;
    const bound = (terms + 2) * 2 ** -24 * scale[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= bound)) {
      throw new Error(`at ${i}: wasm ${got[i]}, TypeScript ${want[i]}, bound ${bound}`);
    }
  }
}

// Heavy properties on a shared 2-core host: a generous timeout, never a time assertion.
const SLOW = { timeout: 120_000 };

const configs: Array<[string, Parameters<typeof setWasmMatmulConfig>[0]]> = [["1 thread", {}]];
if (wasmThreadsAvailable()) configs.push(["3 threads", { threads: 3, parallelFlops: 0 }]);
if (wasmRelaxedSimdAvailable()) configs.push(["relaxed fma", { fma: true }]);

describe.each(configs)("wasm conv kernels (%s)", SLOW, (_, config) => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  it("run on the module's CNN functions", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    expect(wasmCnnReady()).toBe(true);
  });

  it("the three products agree with TypeScript within float32 summation error", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    // Dense data runs the tiles; sparse data (12 % nonzero) the scatter paths at stride 1,
    // unless an ∞ in the weights sends them back to the tiles.
    const data = fc.record({
      density: fc.constantFrom(0.67, 0.12), infinite: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(fc.property(geometryArb, fc.boolean(), fc.boolean(), fc.nat(), data,
      (g, resident, relu, seed, { density, infinite }) => {
        const rng = new Rng(seed);
        const { hp, wp } = paddedSize(g);
        const cg = g.c / g.groups;
        const x = values(rng, g.n * g.c * g.h * g.w, resident, density);
        const xPadded = values(rng, g.n * g.c * hp * wp, resident);
        const padArgs = { planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt, left: g.pl,
          sh: 1, sw: 1 };
        padPlanes({ ...padArgs, x, out: xPadded });
        const xp2 = values(rng, xPadded.length, resident);
        wasmPadPlanes({ ...padArgs, x, out: xp2 });
        expect(bits(xp2)).toEqual(bits(xPadded));
        const weight = values(rng, g.k * cg * g.kh * g.kw, resident);
        if (infinite === 0) weight[0] = Infinity;
        const bias = values(rng, g.k, resident);
        const ySize = g.n * g.k * g.oh * g.ow;
        const plane = g.oh * g.ow;
        const [want, scale] = [0, 1].map(() => values(rng, ySize, resident));
        conv2d({ xPadded, weight, bias: null, out: want, geometry: g, relu: false });
        conv2d({ xPadded: abs(xPadded), weight: abs(weight), bias: null, out: scale, geometry: g,
          relu: false });
        const dy = values(rng, ySize, resident, density);
        const [dxWant, dxScale] = [0, 1].map(() => values(rng, x.length, resident));
        conv2dInputGrad({ dy, weight, dx: dxWant, geometry: g });
        conv2dInputGrad({ dy: abs(dy), weight: abs(weight), dx: dxScale, geometry: g });
        const [dwWant, dwScale] = [0, 1].map(() => values(rng, weight.length, resident));
        conv2dWeightGrad({ xPadded, dy, dw: dwWant, geometry: g });
        conv2dWeightGrad({ xPadded: abs(xPadded), dy: abs(dy), dw: dwScale, geometry: g });
        // Every path: the dense tiles, and the sparse ones wherever they apply.
        for (const policy of ["never", "always"] as const) {
          setSparsePolicy(policy);
          try {
            const got = values(rng, ySize, resident);
            wasmConv2d({ xPadded, weight, bias: null, out: got, geometry: g, relu: false });
            expectWithin(got, want, scale, cg * g.kh * g.kw);
            // Bias and relu are applied to the finished sums, as separate steps.
            const fused = values(rng, ySize, resident);
            wasmConv2d({ xPadded, weight, bias, out: fused, geometry: g, relu });
            fused.forEach((v, i) => {
              const z = Math.fround(got[i] + bias[Math.floor(i / plane) % g.k]);
              expect(Object.is(v, relu && z <= 0 ? 0 : z) || Number.isNaN(v + z)).toBe(true);
            });
            const dxGot = values(rng, x.length, resident);
            wasmConv2dInputGrad({ dy, weight, dx: dxGot, geometry: g });
            expectWithin(dxGot, dxWant, dxScale, (g.k / g.groups) * g.kh * g.kw);
            const dwGot = values(rng, weight.length, resident);
            wasmConv2dWeightGrad({ xPadded, dy, dw: dwGot, geometry: g });
            expectWithin(dwGot, dwWant, dwScale, g.n * plane);
          } finally {
            setSparsePolicy("auto");
          }
        }
        const [sWant, sGot, sScale] = [0, 1, 2].map(() => values(rng, g.k, resident));
        const sums = { n: g.n, c: g.k, inner: plane };
        channelSum({ ...sums, x: dy, out: sWant });
        wasmChannelSum({ ...sums, x: dy, out: sGot });
        channelSum({ ...sums, x: abs(dy), out: sScale });
        expectWithin(sGot, sWant, sScale, g.n * plane);
      }), { numRuns: 200 });
  });

  it("relu's mask on long arrays (split over the threads by call slices) is bit-identical", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    fc.assert(fc.property(fc.integer({ min: 32768, max: 70000 }), fc.constantFrom(0, 0.01),
      fc.boolean(), fc.nat(), (size, slope, nanAsPositive, seed) => {
        const rng = new Rng(seed);
        const [dy, y, out] = [0, 1, 2].map(() => values(rng, size, true));
        for (let i = 0; i < size; i += 97) y[i] = i % 2 === 0 ? NaN : -0;
        const want = new Float32Array(size);
        leakyStepMul({ dy, y, out: want, slope, nanAsPositive });
        wasmLeakyStepMul(dy, y, out, slope, nanAsPositive);
        expect(bits(out)).toEqual(bits(want));
      }), { numRuns: 12 });
  });

  it("max pooling (values, positions, gradients) is bit-identical", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    const poolArb = fc.record({
      planes: fc.integer({ min: 1, max: 5 }), h: fc.integer({ min: 1, max: 11 }),
      w: fc.integer({ min: 1, max: 11 }), kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }), sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }), dh: fc.integer({ min: 1, max: 2 }),
      dw: fc.integer({ min: 1, max: 2 }), pt: fc.integer({ min: 0, max: 1 }),
      pl: fc.integer({ min: 0, max: 1 }),
    }).map((p) => ({
      ...p, pt: Math.min(p.pt, p.kh >> 1), pl: Math.min(p.pl, p.kw >> 1),
      oh: Math.floor((p.h + 2 * Math.min(p.pt, p.kh >> 1) - p.dh * (p.kh - 1) - 1) / p.sh) + 1,
      ow: Math.floor((p.w + 2 * Math.min(p.pl, p.kw >> 1) - p.dw * (p.kw - 1) - 1) / p.sw) + 1,
    })).filter((p) => p.oh >= 1 && p.ow >= 1);
    // 2×2 windows at stride 2 have their own four-lane kernel.
    const twoByTwo = fc.record({
      planes: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 2, max: 12 }),
      w: fc.integer({ min: 2, max: 21 }),
    }).map((p) => ({ ...p, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, pt: 0, pl: 0,
      oh: p.h >> 1, ow: p.w >> 1 }));
    const arb = fc.oneof(poolArb, twoByTwo);
    fc.assert(fc.property(arb, fc.boolean(), fc.nat(), (g: PoolGeometry, resident, seed) => {
      const rng = new Rng(seed);
      const x = values(rng, g.planes * g.h * g.w, resident);
      // Ties (rounded values), NaN and −∞ inside windows.
      x.forEach((v, i) => (x[i] = Math.round(v * 2) / 2));
      for (let i = 3; i < x.length; i += 37) x[i] = NaN;
      for (let i = 5; i < x.length; i += 23) x[i] = -Infinity;
      const outs = [0, 1, 2, 3].map(() => values(rng, g.planes * g.oh * g.ow, resident));
      maxPool2d({ x, out: outs[0], indices: outs[1], geometry: g });
      wasmMaxPool2d({ x, out: outs[2], indices: outs[3], geometry: g });
      expect(bits(outs[2])).toEqual(bits(outs[0]));
      expect(bits(outs[3])).toEqual(bits(outs[1]));
      const dy = values(rng, outs[0].length, resident);
      for (let i = 1; i < dy.length; i += 7) dy[i] = -0;
      for (let i = 2; i < dy.length; i += 13) dy[i] = NaN;
      const [dxWant, dxGot] = [0, 1].map(() => values(rng, x.length, resident));
      maxPool2dBackward({ dy, indices: outs[1], dx: dxWant, geometry: g });
      wasmMaxPool2dBackward({ dy, indices: outs[1], dx: dxGot, geometry: g });
      expect(bits(dxGot)).toEqual(bits(dxWant));
    }), { numRuns: 300 });
  });
});

describe("wasm conv kernels across thread counts", SLOW, () => {
  it.runIf(wasmThreadsAvailable())("give the same bits on 1 and 3 threads", () => {
    const defaults = wasmMatmulConfig();
    // One configuration at a time: each change restarts the module and its workers.
    const cases = fc.sample(fc.tuple(geometryArb, fc.nat()), { numRuns: 60, seed: 15 });
    const runAll = (threads: number) => {
      setWasmMatmulConfig({ ...defaults, threads, parallelFlops: 0 });
      return cases.map(([g, seed], i) => {
        const rng = new Rng(seed);
        const { hp, wp } = paddedSize(g);
        // Every other case sparse, for the scatter paths.
        const density = i % 2 === 0 ? 0.67 : 0.12;
        const x = values(rng, g.n * g.c * g.h * g.w, true, density);
        const xPadded = values(rng, g.n * g.c * hp * wp, true);
        padPlanes({ x, out: xPadded, planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt,
          left: g.pl, sh: 1, sw: 1 });
        const weight = values(rng, g.k * (g.c / g.groups) * g.kh * g.kw, true);
        const dy = values(rng, g.n * g.k * g.oh * g.ow, true, density);
        const out = new Float32Array(dy.length);
        const dx = new Float32Array(g.n * g.c * g.h * g.w);
        const dw = new Float32Array(weight.length);
        // Sparse cases on the sparse paths, dense ones on the tiles.
        setSparsePolicy(i % 2 === 0 ? "never" : "always");
        try {
          wasmConv2d({ xPadded, weight, bias: null, out, geometry: g, relu: false });
          wasmConv2dInputGrad({ dy, weight, dx, geometry: g });
          wasmConv2dWeightGrad({ xPadded, dy, dw, geometry: g });
        } finally {
          setSparsePolicy("auto");
        }
        return [out, dx, dw];
      });
    };
    try {
      expect(runAll(3)).toEqual(runAll(1));
    } finally {
      setWasmMatmulConfig({ ...defaults });
    }
  });
});

describe("wasm conv zero skipping", SLOW, () => {
  it("skipping rows of zeros gives the bits of the dense tiles (±0, ∞ and NaN around)", () => {
    const defaults = wasmMatmulConfig();
    // Images with all-zero rows and columns (as MNIST's margins) but too dense for the scatter
    // paths, −0 among the zeros, and now and then an ∞ or NaN in the weights or the output
    // gradient (skipping must then stop).
    const cases = fc.sample(fc.tuple(geometryArb, fc.nat(), fc.integer({ min: 0, max: 5 })),
      { numRuns: 60, seed: 7 });
    const runAll = (skipZeros: boolean) => {
      setWasmMatmulConfig({ ...defaults, skipZeros });
      setSparsePolicy("never"); // the tiles, with and without their row skipping
      return cases.map(([g, seed, special]) => {
        const rng = new Rng(seed);
        const { hp, wp } = paddedSize(g);
        const x = values(rng, g.n * g.c * g.h * g.w, true, 1);
        x.forEach((_, i) => {
          const row = Math.floor(i / g.w) % g.h;
          const col = i % g.w;
          const zero = row < g.h / 4 || (col === g.w - 1 && g.w > 4);
          if (zero) x[i] = rng.next() < 0.5 ? 0 : -0;
        });
        const xPadded = values(rng, g.n * g.c * hp * wp, true);
        padPlanes({ x, out: xPadded, planes: g.n * g.c, h: g.h, w: g.w, hp, wp, top: g.pt,
          left: g.pl, sh: 1, sw: 1 });
        const weight = values(rng, g.k * (g.c / g.groups) * g.kh * g.kw, true);
        const dy = values(rng, g.n * g.k * g.oh * g.ow, true, 1);
        if (special === 1) weight[weight.length - 1] = Infinity;
        if (special === 2) dy[0] = -Infinity;
        if (special === 3) dy[dy.length - 1] = NaN;
        const out = new Float32Array(dy.length);
        const dw = new Float32Array(weight.length);
        wasmConv2d({ xPadded, weight, bias: null, out, geometry: g, relu: false });
        wasmConv2dWeightGrad({ xPadded, dy, dw, geometry: g });
        return [bits(out), bits(dw)];
      });
    };
    try {
      expect(runAll(true)).toEqual(runAll(false));
    } finally {
      setSparsePolicy("auto");
      setWasmMatmulConfig({ ...defaults });
    }
  });
});
