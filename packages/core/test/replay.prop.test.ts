// Replay ≡ eager as a property: random programs of ops (broadcasting, maps, reductions over random
// axes, products, gathers whose index tensor changes between calls, where/maximum/clamp,
// softmax/logsumexp), inputs with ±∞, NaN and ±0, float32 and float64, on 1 and 2 threads. Each
// program is compiled once and replayed with fresh inputs: the loss, any aux output and every
// gradient must have the eager tape's bits (NaN payloads aside).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Tensor, Rng, compileStep, setNumThreads, withGradMode } from "../src/index.js";
import {
  setWasmMatmulConfig, wasmMatmulConfig, wasmThreadsAvailable,
} from "../src/kernels/wasm/index.js";
import { type Program, lossFunction, makeInputs, makeWorld, program } from "./programs.js";

/** The bits of every value, with any NaN as one value (payloads may differ between paths). */
function bits(t: Tensor | null): string[] | null {
  if (t === null) return null;
  return Array.from(t.data, (v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : `${v}`));
}

interface Outcome {
  readonly outputs: Array<string[] | null>;
  readonly grads: Array<string[] | null>;
}

/** Runs one program eagerly (the tape) on these inputs. */
function eager(
  fn: ReturnType<typeof lossFunction>, params: readonly Tensor[], inputs: Tensor[],
): Outcome {
  return withGradMode(true, () => {
    for (const q of params) q.grad = null;
    const result = fn(inputs[0], inputs[1], inputs[2], inputs[3]);
    const outputs = Array.isArray(result) ? result : [result];
    if (outputs[0].requiresGrad) outputs[0].backward();
    return { outputs: outputs.map(bits), grads: params.map((q) => bits(q.grad)) };
  });
}

function compiled(
  step: (...inputs: Tensor[]) => Tensor | readonly Tensor[], params: readonly Tensor[],
  inputs: Tensor[],
): Outcome {
  const result = step(...inputs);
  const outputs = Array.isArray(result) ? result : [result as Tensor];
  return { outputs: outputs.map(bits), grads: params.map((q) => bits(q.grad)) };
}

/** Compiles the program and checks it against the tape over `calls` calls with fresh inputs. */
function checkProgram(p: Program, seed: number, calls: number): void {
  const rng = new Rng(seed);
  const world = makeWorld(p, rng);
  const params = Object.values(world.params);
  const fn = lossFunction(p, world);
  const step = compileStep(
    (x: Tensor, idx: Tensor, labels: Tensor, y: Tensor) => fn(x, idx, labels, y), params);
  for (let call = 0; call < calls; call++) {
    const inputs = makeInputs(p, rng);
    // Compiled first: the first call moves float32 parameters into WebAssembly memory, with the
    // same values, and the tape then reads them there too.
    const got = compiled(step, params, inputs);
    const want = eager(fn, params, inputs);
    expect(got, `call ${call}`).toEqual(want);
  }
  expect(step.traceCount).toBe(1);
}

const threadCounts = wasmThreadsAvailable() ? [1, 2] : [1];
const defaults = wasmMatmulConfig();
afterAll(() => setWasmMatmulConfig({ ...defaults }));

describe("compiled replay equals the eager tape bit for bit", () => {
  for (const threads of threadCounts) {
    it(`on random programs, replayed with fresh inputs (${threads} thread(s))`, () => {
      setNumThreads(threads);
      // Split even these small products over the threads, so the threaded paths run.
      if (threads > 1) setWasmMatmulConfig({ parallelFlops: 0 });
      try {
        fc.assert(fc.property(program(), fc.integer({ min: 0, max: 2 ** 30 }),
          (p, seed) => checkProgram(p, seed, 4)), { numRuns: 200 });
      } finally {
        setWasmMatmulConfig({ ...defaults });
      }
      // 1.6 s on a quiet host; 6 s was seen on a loaded one, past vitest's default of 5 s.
    }, 30_000);
  }

  it("throws the same index errors as the tape when a replay's indices are bad", () => {
    fc.assert(fc.property(
      program(3), fc.integer({ min: 0, max: 2 ** 30 }),
      fc.constantFrom(-1, 0.5, NaN, 99), fc.constantFrom(1, 2),
      (p, seed, bad, which) => {
        const rng = new Rng(seed);
        const world = makeWorld({ ...p, start: "gathered", loss: "crossEntropy" }, rng);
        const fn = lossFunction({ ...p, start: "gathered", loss: "crossEntropy" }, world);
        const step = compileStep(
          (x: Tensor, idx: Tensor, labels: Tensor, y: Tensor) => fn(x, idx, labels, y),
          Object.values(world.params));
        step(...makeInputs(p, rng));
        const inputs = makeInputs(p, rng);
        inputs[which].data[p.batch - 1] = bad; // the gather's indices, or the labels
        const message = (run: () => unknown): string => {
          try {
            run();
          } catch (error) {
            return (error as Error).message;
          }
          return "no error";
        };
        const eagerMessage = message(() => fn(inputs[0], inputs[1], inputs[2], inputs[3]));
        expect(eagerMessage).toMatch(/index .* at position \d+ is (out of range|not an integer)/);
        expect(message(() => step(...inputs))).toBe(eagerMessage);
      },
    ), { numRuns: 40 });
  });
});
