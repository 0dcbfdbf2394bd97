// The scan the convolution runners decide zero skipping by (scanInto, one pass for nonzeros and
// finiteness) against a TypeScript count, on random lengths and slices with ±0, ±∞, NaN and
// subnormals, in place and copied, on 1 and 3 threads.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { installWasmCnn } from "../src/kernels/cnn-install.js";
import { wasmCnnReady, withWasmSpace } from "../src/kernels/wasm/conv-space.js";
import { scan } from "../src/kernels/wasm/scatter-run.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmulConfig, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import { Rng } from "../src/random.js";

installWasmCnn();

const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38] as const;

/** `size` values: about half zeros (±0), the rest uniform or, with `specials`, a special. */
function values(seed: number, size: number, specials: number, resident: boolean): Float32Array {
  const rng = new Rng(seed);
  const x = (resident ? residentFloat32(size) : null) ?? new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = rng.next();
    x[i] = u < 0.25 ? 0 : u < 0.5 ? -0 : rng.uniform(-2, 2);
    if (rng.next() < specials) x[i] = SPECIALS[Math.floor(rng.next() * SPECIALS.length)];
  }
  return x;
}

/** The reference: values not ±0 (NaN counts) and whether none is ±∞ or NaN. */
function reference(x: Float32Array): { nonzeros: number; finite: boolean } {
  let nonzeros = 0;
  let finite = true;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) nonzeros++;
    if (!Number.isFinite(x[i])) finite = false;
  }
  return { nonzeros, finite };
}

function scanned(x: Float32Array): { nonzeros: number; finite: boolean } {
  let result = { nonzeros: -1, finite: false };
  withWasmSpace([x], [false], 0, (space) => {
    result = scan(space, space.pointers[0], x.length);
  });
  return result;
}

const defaults = wasmMatmulConfig();
const configs: Array<[string, Parameters<typeof setWasmMatmulConfig>[0]]> = [["1 thread", {}]];
if (wasmThreadsAvailable()) configs.push(["3 threads", { threads: 3, parallelFlops: 0 }]);

describe.each(configs)("scan (%s)", (_, config) => {
  afterAll(() => setWasmMatmulConfig({ ...defaults }));

  it("runs on the module's CNN functions", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    expect(wasmCnnReady()).toBe(true);
  });

  it("counts the nonzeros and finds any ±∞ or NaN, as a TypeScript loop does", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 300 }), fc.constantFrom(0, 0, 0.01, 0.3, 1), fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (size, specials, resident, seed) => {
        const x = values(seed, size, specials, resident);
        expect(scanned(x)).toEqual(reference(x));
      }), { numRuns: 300 });
  });

  it("finds one special value wherever it is, in the vectors and in the tail", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    const size = 23; // five vectors and a tail of three
    for (const special of [Infinity, -Infinity, NaN]) {
      for (let at = 0; at < size; at++) {
        const x = new Float32Array(size).fill(-0);
        x[at] = special;
        expect(scanned(x)).toEqual({ nonzeros: 1, finite: false });
      }
    }
    expect(scanned(new Float32Array(size).fill(-0))).toEqual({ nonzeros: 0, finite: true });
  });
});
