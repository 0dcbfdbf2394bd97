// The WebAssembly batch-norm kernels against the TypeScript ones (norm.ts) on random shapes —
// [n, c, h, w] with odd sizes and [n, c], single-value batches — with NaN, ±∞ and ±0 in the
// data and parameters, in place and copied, on 1 and 2 threads: the same values bit for bit.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../src/dtype.js";
import { installWasmNorm } from "../src/kernels/cnn-install.js";
import { batchNormBackward, batchNormEval, batchNormForward } from "../src/kernels/norm.js";
import {
  residentFloat32, setWasmMatmulConfig, wasmMatmulConfig, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import {
  wasmBatchNormBackward, wasmBatchNormEval, wasmBatchNormForward, wasmNormReady,
} from "../src/kernels/wasm/norm-runner.js";
import { Rng } from "../src/random.js";
import {
  Tensor, batchNorm, compileStep, getBackend, jsBackend, mul, randn, setBackend, sum,
} from "../src/index.js";

// The runners fall back to TypeScript without the module's batch-norm functions: install them,
// and check below that they are there, so these tests never compare TypeScript with itself.
installWasmNorm();

interface Case {
  batch: number;
  channels: number;
  inner: number;
  eps: number;
  affine: [boolean, boolean];
  /** Share of special values (NaN, ±∞, ±0) in x, dy and the parameters. */
  special: number;
  resident: boolean;
  /** Statistics given to the backward pass as float32 (the contract allows either dtype). */
  float32Stats: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  batch: fc.integer({ min: 1, max: 5 }),
  channels: fc.integer({ min: 1, max: 11 }),
  // [n, c] (inner 1), or h·w with odd sizes, up to rows of several vectors and a tail.
  inner: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 7 }).chain((h) =>
    fc.integer({ min: 1, max: 9 }).map((w) => h * w))),
  eps: fc.constantFrom(0, 1e-5, 1e-3, 0.1),
  affine: fc.tuple(fc.boolean(), fc.boolean()),
  special: fc.constantFrom(0, 0, 0.05, 0.3),
  resident: fc.boolean(),
  float32Stats: fc.boolean(),
  seed: fc.nat(),
});

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0];

function values(rng: Rng, size: number, c: Case, spread = 3): Float32Array {
  const x = (c.resident ? residentFloat32(size) : null) ?? new Float32Array(size);
  for (let i = 0; i < size; i++) {
    x[i] = rng.next() < c.special ? SPECIAL[rng.int(SPECIAL.length)] : rng.uniform(-1, 1) * spread;
  }
  return x;
}

/** Equal values, ±0 told apart; any NaN equals any NaN (payloads are not compared). */
function expectSame(got: FloatArray, want: FloatArray, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      throw new Error(`${what}[${i}]: wasm ${got[i]}, TypeScript ${want[i]}`);
    }
  }
}

/** Runs the three kernels both ways on one case and compares every output. */
function check(c: Case): void {
  const rng = new Rng(c.seed);
  const { batch, channels, inner, eps } = c;
  const size = batch * channels * inner;
  // Values far from 0 (an offset) make the float64 sums depend on their order.
  const x = values(rng, size, c);
  for (let i = 0; i < size; i += 3) x[i] += 1000;
  const [weight, bias] = c.affine.map((on) => (on ? values(rng, channels, c) : null));
  const shape = { x, batch, channels, inner, eps, weight, bias };
  const forward = [0, 1].map(() => ({
    mean: new Float64Array(channels), variance: new Float64Array(channels),
    out: values(rng, size, c),
  }));
  batchNormForward({ ...shape, ...forward[0] });
  wasmBatchNormForward({ ...shape, ...forward[1] });
  for (const key of ["mean", "variance", "out"] as const) {
    expectSame(forward[1][key], forward[0][key], `forward ${key}`);
  }
  const stats = c.float32Stats
    ? { mean: Float32Array.from(forward[0].mean), variance: Float32Array.from(forward[0].variance) }
    : { mean: forward[0].mean, variance: forward[0].variance };
  const dy = values(rng, size, c, 1);
  const grads = [0, 1].map(() => ({
    dx: values(rng, size, c), dWeight: values(rng, channels, c), dBias: values(rng, channels, c),
  }));
  const backward = { x, dy, batch, channels, inner, eps, weight, ...stats };
  batchNormBackward({ ...backward, ...grads[0] });
  wasmBatchNormBackward({ ...backward, ...grads[1] });
  for (const key of ["dx", "dWeight", "dBias"] as const) {
    expectSame(grads[1][key], grads[0][key], `backward ${key}`);
  }
  const running = {
    mean: values(rng, channels, c), variance: values(rng, channels, c).map(Math.abs),
  };
  const outs = [0, 1].map(() => values(rng, size, c));
  batchNormEval({ ...shape, ...running, out: outs[0] });
  wasmBatchNormEval({ ...shape, ...running, out: outs[1] });
  expectSame(outs[1], outs[0], "eval out");
}

// Heavy properties on a shared 2-core host: a generous timeout, never a time assertion.
const SLOW = { timeout: 120_000 };

const configs: Array<[string, Parameters<typeof setWasmMatmulConfig>[0]]> = [["1 thread", {}]];
// Every call split (parallelFlops 0), even while the helper loses time to other jobs (backOff).
if (wasmThreadsAvailable()) {
  configs.push(["2 threads", { threads: 2, parallelFlops: 0, backOff: false }]);
}

describe.each(configs)("wasm batch-norm kernels (%s)", SLOW, (_, config) => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig(defaults));

  it("give the TypeScript kernels' values bit for bit on random shapes and values", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    expect(wasmNormReady()).toBe(true);
    fc.assert(fc.property(caseArb, check), { numRuns: 300 });
  });

  it("do so on the shapes of a CNN's layers, where rows are whole vectors", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    for (const [batch, channels, inner] of [[8, 16, 784], [8, 32, 196], [3, 6, 49], [64, 10, 1]]) {
      for (const affine of [[true, true], [false, false]] as Array<[boolean, boolean]>) {
        check({ batch, channels, inner, eps: 1e-5, affine, special: 0, resident: true,
          float32Stats: false, seed: batch + channels });
      }
    }
  });

  it("keep NaN, ±∞ and ±0 where the TypeScript kernels do: a channel of specials", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    for (const special of SPECIAL) {
      const x = new Float32Array([1, 2, special, 4, 5, 6, -0, 0]);
      const want = { mean: new Float64Array(2), variance: new Float64Array(2),
        out: new Float32Array(8) };
      const got = { mean: new Float64Array(2), variance: new Float64Array(2),
        out: new Float32Array(8) };
      const shape = { x, batch: 2, channels: 2, inner: 2, eps: 0, weight: null, bias: null };
      batchNormForward({ ...shape, ...want });
      wasmBatchNormForward({ ...shape, ...got });
      expectSame(got.out, want.out, `out with ${special}`);
      expectSame(got.mean, want.mean, `mean with ${special}`);
      // x is [2, 2, 2]: channel 0 (1, 2, 5, 6) stays finite, channel 1 has the special.
      expect(got.mean[0]).toBe(3.5);
    }
  });
});

/**
 * Three training steps of batch norm (training mode with running statistics, and eval mode)
 * through the ops: the loss, the gradients of γ, β and of an offset added to x (batch norm's
 * dx), the running statistics and an eval output, with new values in the same input each step.
 */
function steps(compiled: boolean, seed: number): number[][] {
  const shape = [5, 6, 7, 9];
  const weight = randn([6], { seed: seed + 1 }).add(1).detach().requireGrad();
  const bias = randn([6], { seed: seed + 2 }).detach().requireGrad();
  const offset = randn(shape, { seed: seed + 4 }).detach().requireGrad();
  const x = randn(shape, { seed });
  const r = randn(shape, { seed: seed + 3 });
  const running = { runningMean: new Tensor(new Float32Array(6), [6]),
    runningVar: new Tensor(new Float32Array(6).fill(1), [6]) };
  const params = [offset, weight, bias];
  const loss = (input: Tensor) => {
    const y = batchNorm(input.add(offset), { ...running, weight, bias, training: true });
    return sum(mul(y, r));
  };
  const eager = (input: Tensor) => {
    for (const p of params) p.grad = null;
    const value = loss(input);
    value.backward();
    return value;
  };
  const step = compiled ? compileStep(loss, params) : eager;
  const out: number[][] = [];
  for (let s = 0; s < 3; s++) {
    x.data.set(randn(shape, { seed: seed + 10 + s }).mul(3).add(2).data);
    out.push([step(x).data[0]], ...params.map((p) => Array.from(p.grad!.data)),
      Array.from(running.runningMean.data), Array.from(running.runningVar.data));
    const evalOut = batchNorm(x, { ...running, weight: weight.detach(), bias: bias.detach() });
    out.push(Array.from(evalOut.data));
  }
  return out;
}

describe.each(configs)("batch norm through the ops (%s)", SLOW, (_, config) => {
  const defaults = wasmMatmulConfig();
  afterAll(() => setWasmMatmulConfig(defaults));

  it("compiled steps replay the eager ones bit for bit, which are the TypeScript kernels'", () => {
    setWasmMatmulConfig({ ...defaults, ...config });
    expect(wasmNormReady()).toBe(true);
    const backend = getBackend();
    for (const seed of [1, 2, 3]) {
      const eager = steps(false, seed);
      expect(steps(true, seed)).toEqual(eager);
      setBackend(jsBackend);
      try {
        expect(steps(false, seed)).toEqual(eager);
      } finally {
        setBackend(backend);
      }
    }
  });
});
