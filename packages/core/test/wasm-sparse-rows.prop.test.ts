// The row-sparse product path (sparse-rows-module.ts): the dense kernel's bits for any pattern of
// zeros, either layout of A, tails of k and m, any thread count, fused bias + activation, and
// the dense path's NaN where B holds ±∞ or NaN (the path then steps aside).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  kernelModuleBytes, setWasmMatmulConfig, wasmLinear, wasmMatmul, wasmMatmulConfig,
  wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import type { KernelConfig, WasmMatmulConfig } from "../src/kernels/wasm/index.js";
import { currentState } from "../src/kernels/wasm/state.js";
import { productKey } from "../src/kernels/wasm/balance.js";
import { Rng } from "../src/random.js";

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, CallableFunction> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Case {
  m: number; k: number; n: number; transA: boolean;
  /** Share of A's values that are ±0; a few rows or columns all zero. */
  zeros: number;
  /** Values of B set to +∞, −∞ or NaN. */
  specials: number;
  /** A fused bias and leaky ReLU (wasmLinear, A not transposed) instead of a plain product. */
  linear: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 60 }),
  n: fc.integer({ min: 1, max: 20 }).map((x) => 4 * x), transA: fc.boolean(),
  zeros: fc.constantFrom(0.5, 0.8, 0.95, 1), specials: fc.constantFrom(0, 0, 0, 1, 3),
  linear: fc.boolean(), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** A ([m, k] as op(a) sees it, +0 and −0 zeros, maybe a NaN), B, and a bias. */
function operands(c: Case) {
  const rng = new Rng(c.seed);
  const zeroRow = rng.uniform(0, 1) < 0.3 ? Math.floor(rng.uniform(0, c.m)) : -1;
  const zeroColumn = rng.uniform(0, 1) < 0.3 ? Math.floor(rng.uniform(0, c.k)) : -1;
  const a = new Float32Array(c.m * c.k);
  for (let i = 0; i < c.m; i++) {
    for (let p = 0; p < c.k; p++) {
      const zero = i === zeroRow || p === zeroColumn || rng.uniform(0, 1) < c.zeros;
      a[c.transA ? p * c.m + i : i * c.k + p] = zero
        ? (rng.uniform(0, 1) < 0.5 ? -0 : 0)
        : rng.uniform(-2, 2);
    }
  }
  if (rng.uniform(0, 1) < 0.2) a[Math.floor(rng.uniform(0, a.length))] = NaN;
  const b = new Float32Array(c.k * c.n).map(() => rng.uniform(-2, 2));
  for (let s = 0; s < c.specials; s++) {
    b[Math.floor(rng.uniform(0, b.length))] = [Infinity, -Infinity, NaN][s % 3];
  }
  const bias = new Float32Array(c.n).map(() => rng.uniform(-1, 1));
  return { a, b, bias };
}

function product(c: Case): Float32Array {
  const { a, b, bias } = operands(c);
  const out = new Float32Array(c.m * c.n).fill(7);
  const { m, k, n } = c;
  if (c.linear && !c.transA) {
    wasmLinear({ x: a, w: b, bias, out, m, k, n, activation: "leakyRelu", slope: 0.01 });
  } else {
    wasmMatmul({ a, b, out, m, k, n, transA: c.transA });
  }
  return out;
}

/** Indices where the bit patterns of x and y differ. */
function differing(x: Float32Array, y: Float32Array): number[] {
  const [bx, by] = [new Uint32Array(x.buffer), new Uint32Array(y.buffer)];
  const found: number[] = [];
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) found.push(i);
  return found;
}

// Small k blocks: the path must sum across blocks as the dense kernel does, and leave it the
// narrow last column panels (see sparseHint).
const configs: [string, Partial<WasmMatmulConfig>][] = [
  ["one thread", {}], ["small k blocks", { kc: 8, mc: 12, nc: 16 }],
];
if (wasmThreadsAvailable()) {
  configs.push(["2 threads", { threads: 2, parallelFlops: 0, backOff: false }],
    ["3 threads, a small share for the caller",
      { threads: 3, parallelFlops: 0, backOff: false, mainShare: 0.1 }]);
}

describe("the row-sparse product path", () => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  for (const [name, config] of configs) {
    it(`gives the dense kernel's bits (${name})`, () => {
      const cases = fc.sample(caseArb, { numRuns: 150, seed: 23 });
      setWasmMatmulConfig({ ...defaults, ...config, skipZeros: false });
      const dense = cases.map(product);
      setWasmMatmulConfig({ ...defaults, ...config, skipZeros: true });
      let sparse = 0;
      cases.forEach((c, i) => {
        expect({ case: c, differing: differing(product(c), dense[i]) })
          .toEqual({ case: c, differing: [] });
        // The path ran (first call of a shape), unless B was not finite.
        const hint = currentState()!.sparse.get(productKey(c.m, c.k, c.n, c.transA, false));
        if (hint !== undefined && hint.density < 1) sparse++;
      });
      expect(sparse).toBeGreaterThan(40);
    });
  }

  it("is taken for sparse left operands and left for dense ones", () => {
    setWasmMatmulConfig({ ...defaults });
    const rng = new Rng(4);
    const [m, k, n] = [16, 32, 8];
    const b = new Float32Array(k * n).map(() => rng.uniform(-1, 1));
    const out = new Float32Array(m * n);
    const sparse = new Float32Array(m * k).map((_, i) => (i % 5 === 0 ? 1 : 0));
    wasmMatmul({ a: sparse, b, out, m, k, n });
    const key = productKey(m, k, n, false, false);
    expect(currentState()!.sparse.get(key)!.density).toBeCloseTo(103 / 512, 6);
    const dense = new Float32Array(m * k).fill(1);
    wasmMatmul({ a: dense, b, out, m, k, n });
    expect(currentState()!.sparse.get(key)!.density).toBe(1);
    for (let call = 0; call < 62; call++) wasmMatmul({ a: sparse, b, out, m, k, n });
    expect(currentState()!.sparse.get(key)!.density).toBe(1); // not tried meanwhile
    wasmMatmul({ a: sparse, b, out, m, k, n }); // the 64th call tries it again
    expect(currentState()!.sparse.get(key)!.density).toBeCloseTo(103 / 512, 6);
  });

  it("is not tried when A is too large for its lists (more than 2²¹ values)", () => {
    setWasmMatmulConfig({ ...defaults });
    const [m, k, n] = [2049, 1024, 8]; // n a whole tile: k blocks do not rule it out
    const a = new Float32Array(m * k); // all zeros: as sparse as can be
    const out = new Float32Array(m * n).fill(7);
    wasmMatmul({ a, b: new Float32Array(k * n).fill(1), out, m, k, n });
    expect(out.every((v) => Object.is(v, 0))).toBe(true);
    expect(currentState()!.sparse.get(productKey(m, k, n, false, false))).toBeUndefined();
    const [m2] = [2048]; // exactly 2²¹: tried
    wasmMatmul({ a: a.subarray(0, m2 * k), b: new Float32Array(k * n), out, m: m2, k, n });
    expect(currentState()!.sparse.get(productKey(m2, k, n, false, false))!.density).toBe(0);
  });
});

describe("the sparseGemm kernel", () => {
  const cfg: KernelConfig = {
    mr: 5, vectors: 2, unroll: 1, splat: "row", fma: false, shared: false, skipZeros: true,
  };
  const memory = new wasmApi.Memory({ initial: 4, maximum: 65536 });
  const exports = new wasmApi.Instance(new wasmApi.Module(kernelModuleBytes(cfg)),
    { env: { memory } }).exports;
  const f32 = new Float32Array(memory.buffer);

  it("sums the B rows of the nonzero values in order, in either layout; counts them", () => {
    // A = [[0, 2, −0, 0, 0, NaN], [0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 3]] (3×6: the tails of
    // four-lane steps), B = 6×4 with B(p, j) = 10p + j.
    const rows = [[0, 2, -0, 0, 0, NaN], [0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 3]];
    const [m, k, n] = [3, 6, 4];
    const [a, b, c, pos] = [1024, 2048, 4096, 8192];
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) f32[b / 4 + p * n + j] = 10 * p + j;
    for (const byColumns of [false, true]) {
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) f32[a / 4 + (byColumns ? p * m + i : i * k + p)] = rows[i][p];
      }
      f32.fill(7, c / 4, c / 4 + m * n);
      const [ars, acs] = byColumns ? [4, 4 * m] : [4 * k, 4];
      expect(exports.sparseGemm(a, ars, acs, b, 4 * n, c, 4 * n, m, n, k, pos)).toBe(4);
      const out = Array.from(f32.subarray(c / 4, c / 4 + m * n));
      expect(out.slice(0, 4)).toEqual([NaN, NaN, NaN, NaN]); // 2·B1 + NaN·B5
      expect(out.slice(4, 8)).toEqual([0, 0, 0, 0]);
      expect(out.slice(8, 12)).toEqual([150, 154, 158, 162]); // B0 + 3·B5
      expect(Object.is(out[4], 0)).toBe(true); // an empty sum is +0
    }
  });
});
