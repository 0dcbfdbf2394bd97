// The default (WebAssembly) backend against the TypeScript reference, kernel by kernel, float32.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Backend } from "../src/kernels/contract.js";
import { wasmBackend } from "../src/kernels/wasm-backend.js";
import { jsBackend } from "../src/kernels/js-backend.js";
import { Rng } from "../src/random.js";
import { sizeOf, stridesOf } from "../src/shape.js";

const RUNS = { numRuns: 200 };
// Mostly ordinary values, sometimes the ones that break careless kernels.
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-40, -3e38];

function data(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    x[i] = rng.uniform(0, 1) < 0.05 ? SPECIAL[rng.int(SPECIAL.length)] : rng.uniform(-2, 2);
  }
  return x;
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Length, scale (reaching exp's extremes) and seed for the transcendental kernels' inputs. */
const scaledCase = fc.tuple(
  fc.integer({ min: 0, max: 300 }), fc.constantFrom(1, 20, 200), fc.integer({ min: 0, max: 1e9 }),
);

/** Elements of got that differ from want, each of which must be one float32 ulp away. */
function ulpDifferences(got: Float32Array, want: Float32Array, what: (i: number) => string) {
  const gotBits = new Int32Array(got.buffer, got.byteOffset, got.length);
  const wantBits = new Int32Array(want.buffer, want.byteOffset, want.length);
  let differing = 0;
  for (let i = 0; i < got.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    differing++;
    expect(Math.abs(gotBits[i] - wantBits[i]), what(i)).toBe(1);
  }
  return differing;
}

// Shapes of rank 0–4 whose dimensions (1–9) leave SIMD lanes and tiles partly filled.
const shapeArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 4 });

describe("wasm backend equals the TypeScript kernels", () => {
  const fast: Backend = wasmBackend;
  const ref: Backend = jsBackend;

  it("reduce: sum, max and min over any axes, bit for bit", () => {
    fc.assert(fc.property(
      shapeArb, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      fc.constantFrom("sum", "max", "min" as const), fc.integer({ min: 0, max: 1e9 }),
      (shape, reduced, op, seed) => {
        const x = data(new Rng(seed), sizeOf(shape));
        const kept = shape.map((d, i) => (reduced[i] ? 1 : d));
        const outStrides = stridesOf(kept).map((s, i) => (reduced[i] ? 0 : s));
        const got = new Float32Array(sizeOf(kept)).fill(5);
        const want = new Float32Array(sizeOf(kept)).fill(7);
        fast.reduce({ op, x, shape, out: got, outStrides });
        ref.reduce({ op, x, shape, out: want, outStrides });
        expect(sameBits(got, want)).toBe(true);
      },
    ), RUNS);
  });

  it("reduce over leading axes of large arrays (the bias gradient), bit for bit", () => {
    const rng = new Rng(4);
    for (const [rows, cols] of [[128, 128], [128, 64], [257, 10], [1000, 3]]) {
      const x = data(rng, rows * cols);
      const got = new Float32Array(cols);
      const want = new Float32Array(cols);
      fast.reduce({ op: "sum", x, shape: [rows, cols], out: got, outStrides: [0, 1] });
      ref.reduce({ op: "sum", x, shape: [rows, cols], out: want, outStrides: [0, 1] });
      expect(sameBits(got, want)).toBe(true);
    }
  });

  it("leakyStepMul, bit for bit", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 200 }), fc.constantFrom(0, 0.01, 0.5, 3),
      fc.integer({ min: 0, max: 1e9 }),
      (size, p, seed) => {
        const rng = new Rng(seed);
        const [dy, y] = [data(rng, size), data(rng, size)];
        for (const nanAsPositive of [false, true]) {
          const [got, want] = [new Float32Array(size), new Float32Array(size)];
          fast.leakyStepMul({ dy, y, out: got, slope: p, nanAsPositive });
          ref.leakyStepMul({ dy, y, out: want, slope: p, nanAsPositive });
          expect(sameBits(got, want)).toBe(true);
        }
      },
    ), RUNS);
  });

  for (const op of ["softplus", "sigmoid"] as const) {
    it(`${op} (exp and log1p in f64 on wasm) within one float32 ulp, equal in practice`, () => {
      let differing = 0;
      fc.assert(fc.property(scaledCase, ([size, scale, seed]) => {
        const rng = new Rng(seed);
        const x = data(rng, size).map((v) => v * scale);
        const [got, want] = [new Float32Array(size), new Float32Array(size)];
        fast.unary({ op, x, out: got });
        ref.unary({ op, x, out: want });
        differing += ulpDifferences(got, want, (i) => `${op}(${x[i]})`);
      }), RUNS);
      // Over 8 million inputs none differed when this was written; a few would be rare ties.
      expect(differing).toBeLessThanOrEqual(2);
    });
  }

  it("bceLogits and its gradient (fused, f64 inside on wasm) within one float32 ulp", () => {
    let differing = 0;
    fc.assert(fc.property(scaledCase, ([size, scale, seed]) => {
      const rng = new Rng(seed);
      const x = data(rng, size).map((v) => v * scale);
      const t = data(rng, size).map((v) => (v > 0 ? 1 : v < -1.5 ? v : 0)); // 0/1, some not
      const dy = data(rng, size);
      const [got, want] = [new Float32Array(size), new Float32Array(size)];
      fast.bceLogits({ x, t, out: got });
      ref.bceLogits({ x, t, out: want });
      differing += ulpDifferences(got, want, (i) => `bceLogits(${x[i]}, ${t[i]})`);
      fast.bceLogitsGrad({ x, t, dy, out: got });
      ref.bceLogitsGrad({ x, t, dy, out: want });
      differing += ulpDifferences(got, want, (i) => `bceLogitsGrad at ${i}`);
    }), RUNS);
    expect(differing).toBeLessThanOrEqual(2);
  });

  it("descend (the SGD step), bit for bit, below and above the WebAssembly size", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 700 }), fc.constantFrom(0.1, 1e-3, 0.37, 2),
      fc.integer({ min: 0, max: 1e9 }),
      (size, lr, seed) => {
        const rng = new Rng(seed);
        const [w, g] = [data(rng, size), data(rng, size)];
        const got = Float32Array.from(w);
        fast.descend({ w: got, g, learningRate: lr });
        ref.descend({ w, g, learningRate: lr });
        expect(sameBits(got, w)).toBe(true);
      },
    ), RUNS);
  });

  it("linear and matmul, within float32 tolerance (products sum in another order)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.boolean(),
      fc.constantFrom("identity", "relu", "leakyRelu" as const), fc.integer({ min: 0, max: 1e9 }),
      (m, k, n, transA, transB, act, seed) => {
        const rng = new Rng(seed);
        // Finite inputs: with Infinity in a product, the order of the sum decides NaN vs ±Inf.
        const finite = (size: number) =>
          Float32Array.from({ length: size }, () => rng.uniform(-2, 2));
        const [x, w, bias] = [finite(m * k), finite(k * n), finite(n)];
        const close = (got: Float32Array, want: Float32Array) => got.every((v, i) =>
          Math.abs(v - want[i]) <= 1e-4 * (1 + Math.abs(want[i])) * Math.sqrt(Math.max(k, 1)));
        const [got, want] = [new Float32Array(m * n), new Float32Array(m * n)];
        const layer = { x, w, bias, m, k, n, activation: act, slope: 0.01 };
        fast.linear({ ...layer, out: got });
        ref.linear({ ...layer, out: want });
        expect(close(got, want)).toBe(true);
        fast.matmul({ a: x, b: w, out: got, m, k, n, transA, transB });
        ref.matmul({ a: x, b: w, out: want, m, k, n, transA, transB });
        expect(close(got, want)).toBe(true);
      },
    ), RUNS);
  });
});
