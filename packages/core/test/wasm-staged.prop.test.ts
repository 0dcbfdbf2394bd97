// Kernels that update a resident array in place from operands that are not resident (an eager
// gradient in JavaScript memory): the operand is copied next to it at every call, never kept, so
// the result has the bits of the TypeScript kernel and a write to the operand between calls is
// always seen. On 1 and 2 threads, with views, and after a new memory replaced the old one.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  residentFloat32, residentFloat64, setWasmMatmulConfig, wasmAdam, wasmDescend,
  wasmLeakyStepMul, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import { adam, descend } from "../src/kernels/update.js";
import { wasmBackend } from "../src/kernels/wasm-backend.js";
import { leakyStepMul } from "../src/kernels/elementwise.js";
import { Rng } from "../src/random.js";

const threadCounts = wasmThreadsAvailable() ? [1, 2] : [1];
afterEach(() => setWasmMatmulConfig({ threads: 1, shared: true }));

function fill(rng: Rng, x: Float32Array | Float64Array, lo = -2, hi = 2): typeof x {
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(lo, hi);
  return x;
}
const bits = (x: ArrayLike<number>) => Array.from(x);
const step = (t: number) => ({
  learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01,
  decoupled: t % 2 === 0, c1: 1 - 0.9 ** t, c2: 1 - 0.999 ** t,
});

describe("a resident array updated from an ordinary one", () => {
  for (const threads of threadCounts) {
    it(`SGD: the TypeScript kernel's bits, step after step (${threads} thread(s))`, () => {
      setWasmMatmulConfig({ threads });
      fc.assert(fc.property(
        // Past 32,768 elements two threads split the update.
        fc.constantFrom(1, 255, 256, 1000, 40000), fc.nat(5), fc.nat(),
        (count, offset, seed) => {
          const rng = new Rng(seed);
          const w = fill(rng, residentFloat32(count)!) as Float32Array;
          const plain = Float32Array.from(w);
          // The gradient: an ordinary array, or a view into the middle of one.
          const g = new Float32Array(offset + count + 3).subarray(offset, offset + count);
          for (let t = 0; t < 3; t++) {
            fill(rng, g); // written in place between steps: each step must read it anew
            descend({ w: plain, g, learningRate: 0.1 });
            wasmDescend(w, g, 0.1);
            expect(bits(w)).toEqual(bits(plain));
          }
        },
      ), { numRuns: 30 });
    });

    it(`Adam and AdamW: the TypeScript kernel's bits, step after step (${threads} thread(s))`,
      () => {
        setWasmMatmulConfig({ threads });
        fc.assert(fc.property(
          fc.constantFrom(1, 17, 1000, 40000), fc.nat(), (count, seed) => {
            const rng = new Rng(seed);
            const w = fill(rng, residentFloat32(count)!) as Float32Array;
            const m = fill(rng, residentFloat64(count)!, -1, 1) as Float64Array;
            const v = fill(rng, residentFloat64(count)!, 0, 1) as Float64Array;
            const plain = [Float32Array.from(w), Float64Array.from(m), Float64Array.from(v)];
            const g = new Float32Array(count);
            for (let t = 1; t <= 3; t++) {
              fill(rng, g);
              adam({ w: plain[0], g, m: plain[1] as Float64Array, v: plain[2] as Float64Array,
                ...step(t) });
              wasmAdam({ w, g, m, v, ...step(t) });
              expect(bits(w)).toEqual(bits(plain[0]));
              expect(bits(m)).toEqual(bits(plain[1]));
              expect(bits(v)).toEqual(bits(plain[2]));
            }
          },
        ), { numRuns: 20 });
      });
  }

  it("the relu/leakyRelu backward into a resident out from ordinary dy and y", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.nat(),
      (count, nanAsPositive, seed) => {
        const rng = new Rng(seed);
        const [dy, y] = [0, 1].map(() => fill(rng, new Float32Array(count)) as Float32Array);
        y[0] = NaN;
        const out = residentFloat32(count)!;
        const expected = new Float32Array(count);
        leakyStepMul({ dy, y, out: expected, slope: 0.01, nanAsPositive });
        wasmLeakyStepMul(dy, y, out, 0.01, nanAsPositive);
        expect(bits(out)).toEqual(bits(expected));
      }), { numRuns: 40 });
  });

  it("zero fills go through memory.fill for whole resident arrays, with +0's bits", () => {
    const x = residentFloat32(1000)!.fill(3);
    wasmBackend.fill({ out: x, value: 0 });
    expect(x.every((v) => Object.is(v, 0))).toBe(true);
    wasmBackend.fill({ out: x, value: -0 }); // not +0: element by element, keeping -0
    expect(x.every((v) => Object.is(v, -0))).toBe(true);
    const d = residentFloat64(10)!.fill(-1);
    wasmBackend.fill({ out: d.subarray(2, 5), value: 0 }); // a view: only its elements
    expect(Array.from(d)).toEqual([-1, -1, 0, 0, 0, -1, -1, -1, -1, -1]);
    wasmBackend.fill({ out: d, value: 0 });
    expect(Array.from(d)).toEqual(new Array(10).fill(0));
  });

  it("an array resident in an older memory counts as ordinary, and is updated where it is", () => {
    const w = residentFloat32(300)!;
    w.fill(1);
    setWasmMatmulConfig({ threads: 1 }); // a new memory: w is not one of its blocks
    const g = new Float32Array(300).fill(2);
    wasmDescend(w, g, 0.25);
    expect(w[0]).toBe(0.5);
    expect(w[299]).toBe(0.5);
  });
});
