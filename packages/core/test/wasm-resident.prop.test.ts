// Arrays stored in WebAssembly memory (residentFloat32): every wasm kernel reads and writes
// them in place and gives the same bits as on ordinary arrays, any mix of the two included.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  isResidentFloat32, releaseResident, residentFloat32, residentFloat64, setWasmMatmulConfig,
  wasmActivation, wasmAdam, wasmBceLogits, wasmColumnSum, wasmDescend, wasmGatherRows,
  wasmLeakyStepMul, wasmLinear, wasmMatmul,
} from "../src/kernels/wasm/index.js";
import { gatherRows } from "../src/kernels/layout.js";
import { load } from "../src/kernels/wasm/state.js";
import { adam } from "../src/kernels/update.js";
import type { FusedActivation } from "../src/kernels/contract.js";
import { Rng } from "../src/random.js";

function filled(rng: Rng, size: number, resident: boolean): Float32Array {
  const x = resident ? residentFloat32(size)! : new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

const bits = (x: Float32Array) => Array.from(x);

afterEach(() => setWasmMatmulConfig({ threads: 1, shared: true }));

describe("resident arrays", () => {
  it("are zeroed, distinct, and reported as resident until released", () => {
    const a = residentFloat32(5)!;
    const b = residentFloat32(5)!;
    expect(bits(a)).toEqual([0, 0, 0, 0, 0]);
    a.fill(7);
    expect(bits(b)).toEqual([0, 0, 0, 0, 0]);
    expect(isResidentFloat32(a)).toBe(true);
    expect(isResidentFloat32(new Float32Array(5))).toBe(false);
    releaseResident(a);
    expect(isResidentFloat32(a)).toBe(false);
    const c = residentFloat32(5)!; // reuses a's block, zeroed again
    expect(bits(c)).toEqual([0, 0, 0, 0, 0]);
    setWasmMatmulConfig({ threads: 1 }); // a new memory: c is an ordinary array to it
    expect(isResidentFloat32(c)).toBe(false);
    const out = new Float32Array(1);
    c.fill(2);
    wasmMatmul({ a: c, b: c, out, m: 1, k: 5, n: 1, transB: true });
    expect(out[0]).toBe(20);
  });

  for (const threads of [1, 2]) {
    it(`products and the fused layer give the same bits in place (${threads} thread(s))`, () => {
      setWasmMatmulConfig({ threads, parallelFlops: 0 });
      const acts: FusedActivation[] = ["identity", "relu", "leakyRelu"];
      fc.assert(fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }),
          n: fc.integer({ min: 1, max: 40 }), transA: fc.boolean(), transB: fc.boolean(),
          offsets: fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)),
          where: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
          act: fc.constantFrom(...acts), seed: fc.nat(),
        }),
        ({ m, k, n, transA, transB, offsets: [ao, bo, oo], where, act, seed }) => {
          const [inA, inB, inC, inBias] = where;
          const rng = new Rng(seed);
          const a = filled(rng, ao + m * k, inA);
          const b = filled(rng, bo + k * n, inB);
          const plain = new Float32Array(oo + m * n + 2).fill(3);
          const out = filled(rng, oo + m * n + 2, inC).fill(3);
          const at = { m, k, n, transA, transB, aOffset: ao, bOffset: bo, outOffset: oo };
          wasmMatmul({ a: Float32Array.from(a), b: Float32Array.from(b), out: plain, ...at });
          wasmMatmul({ a, b, out, ...at });
          expect(bits(out)).toEqual(bits(plain));
          // The fused layer (no transposes or offsets there).
          const x = filled(rng, m * k, inA);
          const w = filled(rng, k * n, inB);
          const bias = filled(rng, n, inBias);
          const y = filled(rng, m * n, inC);
          const yPlain = new Float32Array(m * n);
          const layer = { m, k, n, activation: act, slope: 0.05 };
          wasmLinear({
            x: Float32Array.from(x), w: Float32Array.from(w), bias: Float32Array.from(bias),
            out: yPlain, ...layer,
          });
          wasmLinear({ x, w, bias, out: y, ...layer });
          expect(bits(y)).toEqual(bits(yPlain));
        },
      ), { numRuns: 60 });
    });
  }

  it("stepMul, descend, column sums and BCE give the same bits in place", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }),
      fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), fc.nat(),
      (count, cols, [r1, r2, r3], seed) => {
        const rng = new Rng(seed);
        const dy = filled(rng, count, r1);
        const y = filled(rng, count, r2);
        const out = filled(rng, count, r3);
        const expected = new Float32Array(count);
        wasmLeakyStepMul(Float32Array.from(dy), Float32Array.from(y), expected, 0.01, false);
        wasmLeakyStepMul(dy, y, out, 0.01, false);
        expect(bits(out)).toEqual(bits(expected));
        const plainW = Float32Array.from(dy);
        wasmDescend(plainW, Float32Array.from(y), 0.1);
        wasmDescend(dy, y, 0.1);
        expect(bits(dy)).toEqual(bits(plainW));
        const rows = Math.ceil(count / cols);
        const x = filled(rng, rows * cols, r1);
        const sums = filled(rng, cols, r3);
        const plainSums = new Float32Array(cols);
        wasmColumnSum(Float32Array.from(x), plainSums, rows, cols);
        wasmColumnSum(x, sums, rows, cols);
        expect(bits(sums)).toEqual(bits(plainSums));
        // BCE on logits (out) against targets y, and its gradient with y as dy too.
        const loss = filled(rng, count, r3);
        const plainLoss = new Float32Array(count);
        const [plainOut, plainY] = [Float32Array.from(out), Float32Array.from(y)];
        wasmBceLogits(plainOut, plainY, null, plainLoss);
        wasmBceLogits(out, y, null, loss);
        expect(bits(loss)).toEqual(bits(plainLoss));
        wasmBceLogits(plainOut, plainY, plainY, plainLoss);
        wasmBceLogits(out, y, y, loss);
        expect(bits(loss)).toEqual(bits(plainLoss));
      },
    ), { numRuns: 100 });
  });

  it("do not exist without shared memory, where the kernels copy every operand", () => {
    setWasmMatmulConfig({ shared: false });
    expect(residentFloat32(4)).toBeNull();
    const dy = Float32Array.from([1, -2, 3, -4, 5]);
    const y = Float32Array.from([1, -1, 1, -1, 0]);
    const out = new Float32Array(5);
    wasmLeakyStepMul(dy, y, out, 0.5, false);
    expect(bits(out)).toEqual([1, -1, 3, -2, 2.5]);
    const w = Float32Array.from({ length: 300 }, (_, i) => i);
    wasmDescend(w, new Float32Array(300).fill(2), 0.5);
    expect(w[299]).toBe(298);
  });

  it("the Adam step in place equals the TypeScript kernel bit for bit", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 200 }), fc.boolean(), fc.boolean(),
      fc.constantFrom(0, 0.01, 0.3), fc.integer({ min: 1, max: 50 }), fc.nat(),
      (count, decoupled, resident, weightDecay, t, seed) => {
        const rng = new Rng(seed);
        const w = filled(rng, count, resident);
        const g = filled(rng, count, resident);
        const moment = (positive: boolean) => {
          const x = resident ? residentFloat64(count)! : new Float64Array(count);
          for (let i = 0; i < count; i++) x[i] = positive ? rng.uniform(0, 1) : rng.uniform(-1, 1);
          return x;
        };
        const m = moment(false);
        const v = moment(true);
        const h = {
          learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled,
          c1: 1 - 0.9 ** t, c2: 1 - 0.999 ** t,
        };
        const [w2, m2, v2] = [Float32Array.from(w), Float64Array.from(m), Float64Array.from(v)];
        adam({ w: w2, g: Float32Array.from(g), m: m2, v: v2, ...h });
        wasmAdam({ w, g, m, v, ...h });
        expect(bits(w)).toEqual(bits(w2));
        expect(Array.from(m)).toEqual(Array.from(m2));
        expect(Array.from(v)).toEqual(Array.from(v2));
      },
    ), { numRuns: 100 });
  });

  it("splits long SGD and Adam steps over two threads, with the same bits", () => {
    setWasmMatmulConfig({ threads: 2 });
    for (const count of [32768, 100003]) {
      const rng = new Rng(count);
      const w = filled(rng, count, true);
      const g = filled(rng, count, true);
      const m = residentFloat64(count)!;
      const v = residentFloat64(count)!;
      const plain = [Float32Array.from(w), Float64Array.from(m), Float64Array.from(v)] as const;
      for (const decoupled of [false, true]) {
        const h = {
          learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01,
          decoupled, c1: 0.19, c2: 0.002,
        };
        adam({ w: plain[0], g: Float32Array.from(g), m: plain[1], v: plain[2], ...h });
        wasmAdam({ w, g, m, v, ...h });
      }
      expect(bits(w)).toEqual(bits(plain[0]));
      expect(Array.from(v)).toEqual(Array.from(plain[2]));
      const sgd = Float32Array.from(w);
      wasmDescend(sgd, Float32Array.from(g), 0.1); // copied: one thread
      wasmDescend(w, g, 0.1); // resident: split
      expect(bits(w)).toEqual(bits(sgd));
    }
  });

  it("splits long softplus, sigmoid and BCE maps over two threads, with the same bits", () => {
    setWasmMatmulConfig({ threads: 2 });
    for (const count of [1024, 4099]) {
      const rng = new Rng(count);
      const [x, t, dy, out] = [0, 1, 2, 3].map(() => filled(rng, count, true));
      for (let i = 0; i < count; i++) x[i] *= 20; // saturated logits as well
      const copies = [x, t, dy].map((a) => Float32Array.from(a)); // copied: one thread
      const expected = new Float32Array(count);
      for (const name of ["softplus", "sigmoid"] as const) {
        wasmActivation(name, copies[0], expected);
        wasmActivation(name, x, out); // resident: split
        expect(bits(out)).toEqual(bits(expected));
      }
      wasmBceLogits(copies[0], copies[1], null, expected);
      wasmBceLogits(x, t, null, out);
      expect(bits(out)).toEqual(bits(expected));
      wasmBceLogits(copies[0], copies[1], copies[2], expected);
      wasmBceLogits(x, t, dy, out);
      expect(bits(out)).toEqual(bits(expected));
    }
  });

  for (const threads of [1, 2]) {
    it(`gathers rows out of resident arrays like the TypeScript kernel (${threads} thread(s))`,
      () => {
        setWasmMatmulConfig({ threads });
        fc.assert(fc.property(
          fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 800 }),
          fc.integer({ min: 1, max: 200 }), fc.nat(),
          (rows, rowSize, count, seed) => {
            const rng = new Rng(seed);
            const x = filled(rng, rows * rowSize, true);
            const index = Int32Array.from({ length: count }, () => rng.int(rows));
            const out = residentFloat32(count * rowSize)!;
            const expected = new Float32Array(count * rowSize);
            gatherRows({ caller: "test", x, rows, rowSize, indices: index, out: expected });
            expect(wasmGatherRows(x, rowSize, index, out)).toBe(true);
            expect(bits(out)).toEqual(bits(expected));
            expect(wasmGatherRows(Float32Array.from(x), rowSize, index, out)).toBe(false);
            // Into a plain array (a new minibatch): gathered in the shared memory, copied out.
            const plain = new Float32Array(count * rowSize);
            expect(wasmGatherRows(x, rowSize, index, plain)).toBe(true);
            expect(bits(plain)).toEqual(bits(expected));
          },
        ), { numRuns: 40 });
      });
  }

  it("gathers many rows into a plain array in chunks, with a small scratch", () => {
    const rng = new Rng(5);
    const [rows, rowSize, count] = [3000, 784, 1000]; // 3.1 MB out: four chunks of 1 MB
    const x = filled(rng, rows * rowSize, true);
    const index = Int32Array.from({ length: count }, () => rng.int(rows));
    const expected = new Float32Array(count * rowSize);
    gatherRows({ caller: "test", x, rows, rowSize, indices: index, out: expected });
    const heap = load().heap!;
    const before = heap.allocatedBytes;
    const plain = new Float32Array(count * rowSize);
    expect(wasmGatherRows(x, rowSize, index, plain)).toBe(true);
    expect(bits(plain)).toEqual(bits(expected));
    expect(heap.allocatedBytes - before).toBeLessThan(1.5 * 2 ** 20);
    releaseResident(x);
  });

  it("stay valid while the memory grows", () => {
    const a = residentFloat32(1000)!;
    a.fill(1.5);
    const big = residentFloat32(8 * 2 ** 20)!; // 32 MiB: forces a growth
    big[big.length - 1] = 2;
    expect(a[999]).toBe(1.5);
    const out = new Float32Array(1);
    wasmMatmul({ a, b: a, out, m: 1, k: 1000, n: 1, transB: true });
    expect(out[0]).toBe(2250);
    releaseResident(big);
  });
});
