// Zero skipping in the WebAssembly matmul: the same bits as the dense kernel, whatever the
// pattern of zeros, the layout, the blocking or the thread count, and NaN kept where 0·∞ makes it.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { matmul } from "../src/kernels/matmul.js";
import { kernelModuleBytes } from "../src/kernels/wasm/index.js";
import type { KernelConfig } from "../src/kernels/wasm/index.js";
import { COMPACT_HEADER, compactPanelBytes } from "../src/kernels/wasm/sparse-module.js";
import {
  setWasmMatmulConfig, wasmMatmul, wasmMatmulConfig, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import type { WasmMatmulConfig } from "../src/kernels/wasm/index.js";
import { Rng } from "../src/random.js";

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, CallableFunction> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Case {
  m: number; k: number; n: number; transA: boolean; transB: boolean;
  /** Share of A's values that are zero, and how: single values, whole rows, whole columns. */
  zeros: number; pattern: "values" | "rows" | "columns";
  /** Values of B set to +∞, −∞ or NaN. */
  specials: number;
  seed: number;
}

const dim = fc.integer({ min: 1, max: 70 });
const caseArb: fc.Arbitrary<Case> = fc.record({
  m: dim, k: dim, n: dim, transA: fc.boolean(), transB: fc.boolean(),
  zeros: fc.constantFrom(0, 0.5, 0.8, 0.95, 1),
  pattern: fc.constantFrom("values" as const, "rows" as const, "columns" as const),
  specials: fc.constantFrom(0, 0, 1, 3),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** A ([m, k] as op(a) sees it) with zeros (+0 and −0) and a few NaNs, and B with specials. */
function operands(c: Case): { a: Float32Array; b: Float32Array } {
  const rng = new Rng(c.seed);
  const a = new Float32Array(c.m * c.k);
  const zeroRow = Array.from({ length: c.m }, () => rng.uniform(0, 1) < c.zeros);
  const zeroColumn = Array.from({ length: c.k }, () => rng.uniform(0, 1) < c.zeros);
  for (let i = 0; i < c.m; i++) {
    for (let p = 0; p < c.k; p++) {
      const zero = c.pattern === "rows" ? zeroRow[i]
        : c.pattern === "columns" ? zeroColumn[p]
        : rng.uniform(0, 1) < c.zeros;
      const at = c.transA ? p * c.m + i : i * c.k + p;
      a[at] = zero ? (rng.uniform(0, 1) < 0.5 ? -0 : 0) : rng.uniform(-2, 2);
    }
  }
  if (c.zeros < 1 && rng.uniform(0, 1) < 0.2) a[Math.floor(rng.uniform(0, a.length))] = NaN;
  const b = new Float32Array(c.k * c.n);
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-2, 2);
  for (let s = 0; s < c.specials; s++) {
    b[Math.floor(rng.uniform(0, b.length))] = [Infinity, -Infinity, NaN][s % 3];
  }
  return { a, b };
}

function product(c: Case): Float32Array {
  const { a, b } = operands(c);
  const out = new Float32Array(c.m * c.n).fill(7);
  wasmMatmul({ a, b, out, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB });
  return out;
}

/** Indices where the bit patterns of x and y differ. */
function differing(x: Float32Array, y: Float32Array): number[] {
  const [bx, by] = [new Uint32Array(x.buffer), new Uint32Array(y.buffer)];
  const found: number[] = [];
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) found.push(i);
  return found;
}

// Each configuration builds its module (and threads) once for all cases: cases are drawn with
// a fixed seed, run dense, then run with zero skipping.
const configs: [string, Partial<WasmMatmulConfig>][] = [
  ["default", {}],
  ["small blocks", { kc: 8, mc: 12, nc: 16 }],
  ["4x12 tile", { mr: 4, vectors: 3 }],
  ["3x4 tile (scalar steps), unroll 2", { mr: 3, vectors: 1, unroll: 2, kc: 7, mc: 10 }],
  ["8x8 tile, odd blocks", { mr: 8, vectors: 2, unroll: 8, kc: 13, mc: 16, nc: 24 }],
];
if (wasmThreadsAvailable()) {
  configs.push(["3 threads, every size", { threads: 3, parallelFlops: 0, kc: 16, mc: 10 }]);
}

describe("wasmMatmul with zero skipping", () => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  it("is on by default", () => {
    expect(defaults.skipZeros).toBe(true);
  });

  for (const [name, config] of configs) {
    it(`gives the dense kernel's bits (${name})`, () => {
      const cases = fc.sample(caseArb, { numRuns: 120, seed: 11 });
      setWasmMatmulConfig({ ...defaults, ...config, skipZeros: false });
      const dense = cases.map(product);
      setWasmMatmulConfig({ ...defaults, ...config, skipZeros: true });
      cases.forEach((c, i) => {
        expect({ case: c, differing: differing(product(c), dense[i]) })
          .toEqual({ case: c, differing: [] });
      });
    });
  }

  it("keeps the NaN of 0·∞: a zero column of A against an infinite row of B", () => {
    // MNIST-like: 128 rows, 784 steps, every 5-row panel zero at step 3 and B's row 3 has ∞.
    const [m, k, n] = [128, 784, 20];
    const rng = new Rng(5);
    const a = new Float32Array(m * k).map((_, i) => (i % 7 === 0 ? rng.uniform(0, 1) : 0));
    for (let i = 0; i < m; i++) a[i * k + 3] = 0;
    const b = new Float32Array(k * n).map(() => rng.uniform(-1, 1));
    b[3 * n + 5] = Infinity;
    const expected = new Float32Array(m * n);
    matmul({ a, b, out: expected, m, k, n });
    for (const threads of wasmThreadsAvailable() ? [1, 2] : [1]) {
      setWasmMatmulConfig({ ...defaults, threads, parallelFlops: 0 });
      const out = new Float32Array(m * n);
      wasmMatmul({ a, b, out, m, k, n });
      for (let i = 0; i < m; i++) {
        expect(out[i * n + 5]).toBeNaN();
        expect(expected[i * n + 5]).toBeNaN();
        expect(Number.isFinite(out[i * n + 4])).toBe(true);
      }
    }
  });

  it("gives the dense bits on the MNIST layer-1 shapes, on one thread and on two", () => {
    const rng = new Rng(9);
    // 80 % zeros in 2-D blobs, as in handwritten digits: a pixel is ink near a random stroke.
    const images = new Float32Array(128 * 784).map((_, i) => {
      const [y, x] = [Math.floor((i % 784) / 28), i % 28];
      return Math.abs(y - 14) + Math.abs(x - 14) < 9 && rng.uniform(0, 1) < 0.5
        ? rng.uniform(0, 1) : 0;
    });
    const w = new Float32Array(784 * 128).map(() => rng.uniform(-0.1, 0.1));
    const dz = new Float32Array(128 * 128).map(() => rng.uniform(-0.1, 0.1));
    const run = (): Float32Array[] => {
      const [forward, dw] = [new Float32Array(128 * 128), new Float32Array(784 * 128)];
      wasmMatmul({ a: images, b: w, out: forward, m: 128, k: 784, n: 128 });
      wasmMatmul({ a: images, b: dz, out: dw, m: 784, k: 128, n: 128, transA: true });
      return [forward, dw];
    };
    for (const threads of wasmThreadsAvailable() ? [1, 2] : [1]) {
      setWasmMatmulConfig({ ...defaults, threads, skipZeros: false });
      const dense = run();
      setWasmMatmulConfig({ ...defaults, threads, skipZeros: true });
      const sparse = run();
      expect(differing(sparse[0], dense[0])).toEqual([]);
      expect(differing(sparse[1], dense[1])).toEqual([]);
    }
  });
});

describe("the compact and finite kernels", () => {
  const cfg: KernelConfig = {
    mr: 5, vectors: 2, unroll: 1, splat: "row", fma: false, shared: false, skipZeros: true,
  };
  const memory = new wasmApi.Memory({ initial: 2, maximum: 65536 });
  const exports = new wasmApi.Instance(new wasmApi.Module(kernelModuleBytes(cfg)),
    { env: { memory } }).exports;
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);

  it("finite is 0 for any ±∞ or NaN, wherever it is, and 1 otherwise", () => {
    const count = 37; // padded to 40 with finite zeros
    const base = 1024;
    for (const special of [Infinity, -Infinity, NaN]) {
      for (let at = 0; at < count; at++) {
        f32.fill(0, base / 4, base / 4 + 40);
        f32.set([3.4e38, -3.4e38, -0, 1e-45], base / 4);
        expect(exports.finite(base, count)).toBe(1);
        f32[base / 4 + at] = special;
        expect(exports.finite(base, count)).toBe(0);
      }
    }
  });

  it("compact keeps the steps with a value ≠ ±0, with their B offsets, and counts them", () => {
    const [kc, panels, mr, nr] = [6, 2, 5, 8];
    const pa = 4096;
    const dst = 8192;
    // Panel 0: steps 1 (a NaN) and 4 (a 2 in the last lane) not zero; panel 1: only step 5.
    f32.fill(0, pa / 4, pa / 4 + panels * kc * mr);
    f32.fill(-0, pa / 4, pa / 4 + 5);
    f32[pa / 4 + 1 * mr + 2] = NaN;
    f32[pa / 4 + 4 * mr + 4] = 2;
    f32[pa / 4 + (kc + 5) * mr + 0] = -1;
    exports.compact(pa, kc, panels, dst);
    const panel = (q: number) => dst / 4 + q * compactPanelBytes(mr, kc) / 4;
    const step = (q: number, s: number) => panel(q) + COMPACT_HEADER / 4 + s * (mr + 1);
    expect(i32[panel(0)]).toBe(2);
    expect(Array.from(f32.subarray(step(0, 0), step(0, 0) + mr))).toEqual([0, 0, NaN, 0, 0]);
    expect(i32[step(0, 0) + mr]).toBe(1 * nr * 4);
    expect(Array.from(f32.subarray(step(0, 1), step(0, 1) + mr))).toEqual([0, 0, 0, 0, 2]);
    expect(i32[step(0, 1) + mr]).toBe(4 * nr * 4);
    expect(i32[panel(1)]).toBe(1);
    expect(f32[step(1, 0)]).toBe(-1);
    expect(i32[step(1, 0) + mr]).toBe(5 * nr * 4);
  });
});
