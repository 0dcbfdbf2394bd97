// WebAssembly matmul: agrees with the JS kernel on random shapes, layouts, offsets and blockings.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { FusedActivation } from "../src/kernels/contract.js";
import { biasActivation, leakyStepMul } from "../src/kernels/elementwise.js";
import { linear } from "../src/kernels/linear.js";
import { matmul } from "../src/kernels/matmul.js";
import { kernelModuleBytes } from "../src/kernels/wasm/index.js";
import {
  setWasmMatmulConfig, wasmLeakyStepMul, wasmLinear, wasmMatmul, wasmMatmulConfig,
  wasmRelaxedSimdAvailable, wasmSimdAvailable, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import type { WasmMatmulConfig } from "../src/kernels/wasm/index.js";
import { Rng } from "../src/random.js";

// The WebAssembly global is not in the ES2022 lib.
const wasmApi = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
  .WebAssembly;

function randomArray(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

/** Runs both kernels on random data and returns the worst scaled difference (≤ 1 passes). */
function worstError(
  m: number, k: number, n: number, transA: boolean, transB: boolean,
  offsets: [number, number, number], seed: number,
): number {
  const rng = new Rng(seed);
  const [ao, bo, oo] = offsets;
  const a = randomArray(rng, ao + m * k + 3);
  const b = randomArray(rng, bo + k * n + 3);
  const ref = randomArray(rng, oo + m * n + 3);
  const got = Float32Array.from(ref); // same garbage, so untouched borders must stay equal
  const where = { m, k, n, transA, transB, aOffset: ao, bOffset: bo, outOffset: oo };
  matmul({ a, b, out: ref, ...where });
  wasmMatmul({ a, b, out: got, ...where });
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(ref[i])) * Math.sqrt(Math.max(k, 1));
    worst = Math.max(worst, Math.abs(got[i] - ref[i]) / tol);
  }
  return worst;
}

const dim = fc.integer({ min: 1, max: 70 });
const offset = fc.integer({ min: 0, max: 9 });
const caseArb = fc.record({
  m: dim, k: dim, n: dim, transA: fc.boolean(), transB: fc.boolean(),
  offsets: fc.tuple(offset, offset, offset), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function agreesWithReference(runs: number): void {
  fc.assert(fc.property(caseArb, ({ m, k, n, transA, transB, offsets, seed }) => {
    expect(worstError(m, k, n, transA, transB, offsets, seed)).toBeLessThanOrEqual(1);
  }), { numRuns: runs });
}

// Small blocks exercise every loop: several k blocks (accumulate), row and column blocks.
const configs: [string, Partial<WasmMatmulConfig>][] = [
  ["default", {}],
  ["small blocks", { kc: 8, mc: 12, nc: 16 }],
  ["4x12 tile, no unroll, plain memory", { mr: 4, vectors: 3, unroll: 1, shared: false }],
  ["row splat", { splat: "row" }],
  ["5x4 tile (scalar packing), unroll 2", { mr: 5, vectors: 1, unroll: 2, kc: 7, mc: 10, nc: 8 }],
  ["8x8 tile, odd blocks", { mr: 8, vectors: 2, unroll: 8, kc: 13, mc: 16, nc: 24 }],
];
if (wasmRelaxedSimdAvailable()) configs.push(["relaxed fma", { fma: true }]);
if (wasmThreadsAvailable()) {
  configs.push(["3 threads, every size", { threads: 3, parallelFlops: 0, kc: 16, mc: 10 }]);
}

describe("wasmMatmul", () => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  it("is available on this runtime", () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  it("multiplies small matrices exactly in all layouts", () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]); // [2, 3]
    const b = new Float32Array([7, 8, 9, 10, 11, 12]); // [3, 2]
    const expected = [58, 64, 139, 154];
    const out = new Float32Array(4);
    wasmMatmul({ a, b, out, m: 2, k: 3, n: 2 });
    expect(Array.from(out)).toEqual(expected);
    const at = new Float32Array([1, 4, 2, 5, 3, 6]); // aᵀ stored as [3, 2]
    const bt = new Float32Array([7, 9, 11, 8, 10, 12]); // bᵀ stored as [2, 3]
    const layouts = [[at, b, true, false], [a, bt, false, true], [at, bt, true, true]] as const;
    for (const [x, y, ta, tb] of layouts) {
      out.fill(-1);
      wasmMatmul({ a: x, b: y, out, m: 2, k: 3, n: 2, transA: ta, transB: tb });
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it("rejects bad configurations with the key and value", () => {
    setWasmMatmulConfig({ ...defaults, mr: 0 });
    expect(() => wasmMatmulConfig()).toThrow(/mr must be a positive integer; got 0/);
    setWasmMatmulConfig({ ...defaults, unroll: 3 });
    expect(() => wasmMatmulConfig()).toThrow(/unroll must be a power of two; got 3/);
    setWasmMatmulConfig({ ...defaults, mainShare: 1 });
    expect(() => wasmMatmulConfig()).toThrow("wasmMatmul: mainShare must be in (0, 1); got 1");
    setWasmMatmulConfig({ ...defaults });
  });

  it("writes only out[outOffset, outOffset + m·n) and zeroes it when k = 0", () => {
    const out = new Float32Array([9, 9, 9, 9, 9]);
    wasmMatmul({ a: new Float32Array(0), b: new Float32Array(0), out, m: 1, k: 0, n: 2,
      outOffset: 2 });
    expect(Array.from(out)).toEqual([9, 9, 0, 0, 9]);
    wasmMatmul({ a: new Float32Array([0, 3]), b: new Float32Array([1, 2, 0]), out, m: 1, k: 1,
      n: 2, aOffset: 1, outOffset: 1 });
    expect(Array.from(out)).toEqual([9, 3, 6, 0, 9]);
  });

  for (const [name, config] of configs) {
    it(`agrees with the JS kernel (${name})`, () => {
      setWasmMatmulConfig({ ...defaults, ...config });
      agreesWithReference(name === "default" ? 150 : 60);
    });
  }

  it("agrees on the large training shapes, on one thread and on two", () => {
    setWasmMatmulConfig({ ...defaults });
    checkLargeShapes();
    if (!wasmThreadsAvailable()) return;
    setWasmMatmulConfig({ ...defaults, threads: 2 });
    checkLargeShapes();
  });
});

describe("wasmLinear (product, bias and activation in WebAssembly memory)", () => {
  // Exact against the wasm product followed by the TypeScript epilogue, and within float32
  // tolerance of the pure TypeScript kernel, for odd sizes, signed zeros, NaN and Infinity.
  const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40];
  const arb = fc.record({
    m: dim, k: fc.integer({ min: 0, max: 40 }), n: dim, seed: fc.integer({ min: 0, max: 1e9 }),
    act: fc.constantFrom<FusedActivation>("identity", "relu", "leakyRelu"),
    slope: fc.constantFrom(0, 0.01, 0.3, 2), withBias: fc.boolean(),
  });
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));
  // On threads, row slices apply the bias and activation themselves; column slices after.
  const setups: Partial<WasmMatmulConfig>[] = [{}];
  if (wasmThreadsAvailable()) {
    setups.push({ threads: 2, parallelFlops: 0 }, { threads: 3, parallelFlops: 0, mainShare: 0.2 });
  }
  const title = "equals wasmMatmul + biasActivation bit for bit, and the TypeScript kernel closely";
  it.each(setups)(`${title} (%o)`, (setup) => {
    setWasmMatmulConfig({ ...defaults, ...setup });
    fc.assert(fc.property(arb, ({ m, k, n, seed, act, slope, withBias }) => {
      const rng = new Rng(seed);
      const x = randomArray(rng, m * k);
      const w = randomArray(rng, k * n);
      const bias = withBias ? randomArray(rng, n) : null;
      if (bias !== null) bias[rng.int(n)] = special[rng.int(special.length)];
      const got = new Float32Array(m * n).fill(7);
      wasmLinear({ x, w, bias, out: got, m, k, n, activation: act, slope });
      const exact = new Float32Array(m * n);
      wasmMatmul({ a: x, b: w, out: exact, m, k, n });
      biasActivation({ out: exact, bias, rows: m, cols: n, activation: act, slope });
      expect(Array.from(got).every((v, i) => Object.is(v, exact[i]))).toBe(true);
      const ref = new Float32Array(m * n);
      linear({ x, w, bias, out: ref, m, k, n, activation: act, slope });
      for (let i = 0; i < ref.length; i++) {
        if (Number.isNaN(ref[i])) expect(got[i]).toBeNaN();
        else {
          const tol = 1e-4 * (1 + Math.abs(ref[i])) * Math.sqrt(Math.max(k, 1));
          expect(Math.abs(got[i] - ref[i]) <= tol || got[i] === ref[i]).toBe(true);
        }
      }
    }), { numRuns: 150 });
  });
});

describe("wasmLeakyStepMul", () => {
  it("equals the TypeScript kernel bit for bit, odd lengths and special values included", () => {
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3e38];
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1e9 }),
      fc.constantFrom(0, 0.01, 0.3, 2, -0.5),
      (count, seed, p) => {
        const rng = new Rng(seed);
        const pick = () => (rng.uniform(0, 1) < 0.2 ? special[rng.int(special.length)] : 0);
        const dy = randomArray(rng, count).map((v) => pick() || v);
        const y = randomArray(rng, count).map((v) => pick() || v);
        for (const nanAsPositive of [false, true]) {
          const got = new Float32Array(count);
          const want = new Float32Array(count);
          wasmLeakyStepMul(dy, y, got, p, nanAsPositive);
          leakyStepMul({ dy, y, out: want, slope: p, nanAsPositive });
          expect(Array.from(got).every((v, i) => Object.is(v, want[i]))).toBe(true);
        }
      },
    ), { numRuns: 150 });
  });
});

describe("wasmMatmul on helper threads", () => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  // Slices split rows or columns, never k, and any thread may claim any slice: every
  // element sums the same products in the same order, whichever thread runs it.
  const runIfThreads = it.runIf(wasmThreadsAvailable());
  runIfThreads("gives the same bits on 1, 2 and 3 threads, every run, any share", () => {
    const rng = new Rng(3);
    for (const [m, k, n, ta, tb] of [
      [128, 784, 128, false, false], [784, 128, 128, true, false], [97, 301, 53, false, true],
    ] as const) {
      const a = randomArray(rng, m * k);
      const b = randomArray(rng, k * n);
      const results: Float32Array[] = [];
      // Learned shares, and fixed lopsided ones: where the slices are cut changes nothing.
      const setups = [1, 2, 3].map((threads) => ({ threads }) as Partial<WasmMatmulConfig>);
      setups.push({ threads: 2, mainShare: 0.1 }, { threads: 3, mainShare: 0.9 });
      for (const setup of setups) {
        setWasmMatmulConfig({ ...defaults, ...setup, parallelFlops: 0 });
        for (let run = 0; run < 5; run++) {
          const out = new Float32Array(m * n);
          wasmMatmul({ a, b, out, m, k, n, transA: ta, transB: tb });
          results.push(out);
        }
      }
      // Compare bit patterns in a loop: toEqual on 100k-element arrays takes seconds.
      const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
      const first = bits(results[0]);
      for (const out of results) {
        const other = bits(out);
        let differ = 0;
        for (let i = 0; i < first.length; i++) if (other[i] !== first[i]) differ++;
        expect(differ).toBe(0);
      }
    }
  });
});

function checkLargeShapes(): void {
  for (const [m, k, n, ta, tb] of [
    [128, 784, 128, false, false], [128, 128, 784, false, true], [784, 128, 128, true, false],
    [300, 600, 1100, true, true], [1030, 70, 9, false, false],
  ] as const) {
    expect(worstError(m, k, n, ta, tb, [1, 2, 3], 7)).toBeLessThanOrEqual(1);
  }
}

describe("wasm matmul module", () => {
  it("generates modules that validate for many kernel shapes", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(1, 2, 4, 8), fc.constantFrom("row" as const, "each" as const), fc.boolean(),
      fc.boolean(),
      (mr, vectors, unroll, splat, shared, skipZeros) => {
        const bytes = kernelModuleBytes({
          mr, vectors, unroll, splat, fma: false, shared, skipZeros,
        });
        expect(wasmApi.validate(bytes)).toBe(true);
      },
    ), { numRuns: 40 });
  });
});
