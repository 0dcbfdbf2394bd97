// compileStep against the eager tape: same losses and gradients, step after step, for functions
// that use the accumulating kernels (gather, slice, broadcasting), plus its refusals.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TRACES, compileStep } from "./compile.js";
import { randn, tensor, zeros } from "./creation.js";
import type { DType } from "./dtype.js";
import { detectAnomaly } from "./anomaly.js";
import { Rng } from "./random.js";
import {
  add, concat, exp, gather, leakyRelu, linear, log, logSoftmax, matmul, mean, mul, sigmoid,
  slice, sum, square,
} from "./ops/all.js";
import { Tensor } from "./tensor.js";
import { getBackend } from "./kernels/backend.js";
import { setNumThreads } from "./kernels/threads.js";
import { residentStorage } from "./kernels/wasm-backend.js";
import { withGradMode } from "./tape.js";

/** Parameters of a small two-layer net with an extra gathered embedding. */
function makeParams(inputs: number, hidden: number, outputs: number, dtype: DType, seed: number) {
  const opts = { dtype, seed, requiresGrad: true } as const;
  return {
    w1: randn([inputs, hidden], opts).mul(0.5).detach().requireGrad(),
    b1: zeros([hidden], { dtype, requiresGrad: true }),
    w2: randn([hidden, outputs], { ...opts, seed: seed + 1 }).mul(0.5).detach().requireGrad(),
    embed: randn([5, outputs], { ...opts, seed: seed + 2 }),
  };
}
type Params = ReturnType<typeof makeParams>;
const list = (p: Params) => [p.w1, p.b1, p.w2, p.embed];

/** Uses linear, matmul, broadcasting, gather, slice, concat, logSoftmax and elementwise ops. */
function lossOf(p: Params, x: Tensor, y: Tensor): Tensor {
  const h = leakyRelu(linear(x, p.w1, p.b1), 0.1);
  const logits = add(matmul(h, p.w2), gather(p.embed, [0, 3, 3, 1].slice(0, x.shape[0])));
  const halves = concat([slice(logits, [0, 0], [x.shape[0], 1]), slice(logits, [0, 1])], 1);
  const ce = mean(sum(mul(y, logSoftmax(halves)), 1)).neg();
  const extra = mean(log(add(sigmoid(halves), 1))).add(mean(square(exp(mul(h, 0.01)))));
  return add(ce, mul(extra, 0.1));
}

const snapshot = (ts: readonly (Tensor | null)[]) => ts.map((t) => (t ? Array.from(t.data) : null));

function sgd(params: readonly Tensor[], lr: number): void {
  for (const p of params) {
    const g = p.grad!.data;
    for (let i = 0; i < p.size; i++) p.data[i] -= lr * g[i];
  }
}

/** Losses and final parameters after `steps` steps, eager or compiled. */
function train(compiled: boolean, dtype: DType, batches: Array<[Tensor, Tensor]>, seed: number) {
  const p = makeParams(batches[0][0].shape[1], 6, 2, dtype, seed);
  const params = list(p);
  const eager = (x: Tensor, y: Tensor) => {
    const loss = lossOf(p, x, y);
    for (const q of params) q.grad = null;
    loss.backward();
    return loss;
  };
  const step = compiled ? compileStep((x, y) => lossOf(p, x, y), params) : eager;
  const losses: number[] = [];
  for (const [x, y] of batches) {
    losses.push(step(x, y).data[0]);
    sgd(params, 0.05);
  }
  return { losses, params: snapshot(params), grads: snapshot(params.map((q) => q.grad)) };
}

function makeBatches(dtype: DType, rows: readonly number[], features: number, seed: number) {
  const rng = new Rng(seed);
  return rows.map((n, i): [Tensor, Tensor] => {
    const x = randn([n, features], { dtype, seed: seed + 10 * i });
    const y = tensor(Array.from({ length: n }, () => {
      const k = rng.int(2);
      return [k, 1 - k];
    }), { dtype });
    return [x, y];
  });
}

describe("compileStep", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`replays to the eager losses and parameters bit for bit (${dtype})`, () => {
      fc.assert(fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 7 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        (rows, features, seed) => {
          const batches = makeBatches(dtype, rows, features, seed);
          const eager = train(false, dtype, batches, seed);
          const compiled = train(true, dtype, batches, seed);
          expect(compiled.losses).toEqual(eager.losses);
          expect(compiled.params).toEqual(eager.params);
          expect(compiled.grads).toEqual(eager.grads);
        },
      ), { numRuns: 25 });
    });
  }

  for (const returnsX of [false, true]) {
    const what = returnsX ? "copies an input it returns" : "reads inputs in place";
    it(`${what}, and copies one that is the trace's own output`, () => {
      const w = tensor([[0.5, -1, 0], [2, 0.25, -0.5], [1, 1, 0.125]], { requiresGrad: true });
      const fn = (x: Tensor) => {
        const h = matmul(x, w);
        const loss = sum(mul(h, h));
        return returnsX ? [loss, h, x] as const : [loss, h] as const;
      };
      const eager = (x: Tensor) => withGradMode(true, () => {
        w.grad = null;
        const [loss, h] = fn(x);
        loss.backward();
        return [loss.data[0], Array.from(h.data), Array.from(w.grad!.data)];
      });
      const step = compileStep(fn, [w]);
      const buffer = new Tensor(residentStorage("float32", 6), [2, 3]);
      let fed: Tensor | undefined;
      for (let call = 0; call < 6; call++) {
        // A refilled buffer, a fresh tensor, or the step's previous h (a buffer it writes).
        let x: Tensor;
        if (call % 3 === 0) {
          buffer.data.set(Array.from({ length: 6 }, (_, i) => Math.sin(i + call)));
          x = buffer;
        } else {
          x = call % 3 === 1 || fed === undefined ? randn([2, 3], { seed: call }) : fed;
        }
        const given = Array.from(x.data); // the call overwrites fed (its h) with the new h
        const expected = eager(tensor(given, [2, 3]));
        const [loss, h, returnedX] = step(x);
        expect([loss.data[0], Array.from(h.data), Array.from(w.grad!.data)]).toEqual(expected);
        if (returnsX) expect(Array.from(returnedX!.data)).toEqual(given); // not the first x
        fed = h;
      }
    });
  }

  it("keeps one trace per input shape and moves float32 parameters into wasm memory", () => {
    const p = makeParams(3, 4, 2, "float32", 1);
    const before = list(p).map((t) => t.data);
    const values = list(p).map((t) => Array.from(t.data));
    const step = compileStep((x, y) => lossOf(p, x, y), list(p));
    const [[x4, y4], [x2, y2]] = makeBatches("float32", [4, 2], 3, 5);
    const first = step(x4, y4);
    expect(list(p).map((t) => Array.from(t.data))).toEqual(values);
    expect(list(p).some((t, i) => t.data !== before[i])).toBe(true);
    expect(step(x4, y4)).toBe(first); // the same tensor, overwritten by each call
    step(x2, y2);
    expect(step.traceCount).toBe(2);
    step.dispose();
    expect(step.traceCount).toBe(0);
  });

  it(`keeps at most ${MAX_TRACES} traces, dropping the least recently used`, () => {
    const w = tensor([2], { dtype: "float64", requiresGrad: true });
    let traced = 0;
    const step = compileStep((x) => {
      traced++;
      return sum(mul(x, w));
    }, [w]);
    const ofLength = (n: number) => zeros([n], { dtype: "float64" }).add(1);
    for (let n = 1; n <= MAX_TRACES + 1; n++) {
      if (n === MAX_TRACES + 1) step(ofLength(1)); // 1 is now the most recent
      expect(step(ofLength(n)).data[0]).toBe(2 * n);
    }
    expect(step.traceCount).toBe(MAX_TRACES);
    expect(traced).toBe(MAX_TRACES + 1);
    step(ofLength(1)); // kept
    expect(traced).toBe(MAX_TRACES + 1);
    step(ofLength(2)); // dropped: traced again
    expect(traced).toBe(MAX_TRACES + 2);
  });

  it("retraces when a parameter's storage is replaced, and runs eagerly in anomaly mode", () => {
    const p = makeParams(3, 4, 2, "float64", 2);
    const step = compileStep((x, y) => lossOf(p, x, y), list(p));
    const [[x, y]] = makeBatches("float64", [4], 3, 6);
    const reference = step(x, y).data[0];
    (p.w1 as { data: Float64Array }).data = p.w1.data.map((v: number) => v * 2) as Float64Array;
    const changed = step(x, y).data[0];
    expect(changed).not.toBe(reference);
    const eager = lossOf(p, x, y).data[0];
    expect(changed).toBe(eager);
    const checked = detectAnomaly(() => step(x, y));
    expect(checked.data[0]).toBe(eager);
    expect(checked).not.toBe(step(x, y));
  });

  it("sets the gradient of every parameter, null where the loss does not reach it", () => {
    const w = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const unused = tensor([3], { dtype: "float64", requiresGrad: true });
    unused.grad = tensor([9], { dtype: "float64" });
    const step = compileStep((x) => sum(mul(w, x)), [w, unused]);
    for (const scale of [1, 3]) {
      const loss = step(tensor([scale, 2 * scale], { dtype: "float64" }));
      expect(loss.data[0]).toBe(5 * scale);
      expect(Array.from(w.grad!.data)).toEqual([scale, 2 * scale]);
      expect(unused.grad).toBeNull();
    }
  });

  it("returns auxiliary outputs after the loss, refreshed by every replay", () => {
    const w = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const step = compileStep((x) => {
      const y = mul(w, x);
      return [sum(y), y, x] as const;
    }, [w]);
    for (const scale of [1, 2, 5]) {
      const [loss, y, x] = step(tensor([scale, -scale], { dtype: "float64" }));
      expect(loss.data[0]).toBe(-scale);
      expect(Array.from(y.data)).toEqual([scale, -2 * scale]);
      expect(Array.from(x.data)).toEqual([scale, -scale]);
      expect(y.requiresGrad).toBe(false);
      expect(Array.from(w.grad!.data)).toEqual([scale, -scale]);
    }
  });

  it("refuses value reads, random numbers and in-place updates while tracing", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const x = tensor([1, 1]);
    expect(() => compileStep((v) => mul(w, v.item()).sum(), [w])(tensor([2])))
      .toThrow(/item: not allowed inside a function passed to compileStep/);
    expect(() => compileStep((v) => mul(w, new Rng(1).next()).sum().add(v.sum()), [w])(x))
      .toThrow(/Rng: not allowed inside a function passed to compileStep/);
    const update = compileStep((v) => {
      getBackend().descend({ w: w.data, g: v.data, learningRate: 0.1 }); // an optimizer step
      return mul(w, v).sum();
    }, [w]);
    expect(() => update(x)).toThrow(/writes \(descend\) to a buffer it did not create/);
  });

  it("checks its arguments", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => compileStep((v) => v, [w])(tensor([1, 2])))
      .toThrow(/fn must return a scalar tensor first; got shape \[2\]/);
    expect(() => compileStep(() => [] as unknown as [Tensor], [w])())
      .toThrow(/fn must return a scalar tensor first; got an empty array/);
    expect(() => compileStep(() => [w.sum(), 3] as unknown as [Tensor], [w])())
      .toThrow(/fn must return tensors; output 1 is number/);
    expect(() => compileStep((v) => v.sum(), [tensor([1])]))
      .toThrow(/params\[0\] must be a leaf with requiresGrad set/);
    expect(() => compileStep((v) => v.sum(), [w])([1, 2] as unknown as Tensor))
      .toThrow(/input 0 is not a Tensor/);
    expect(() => compileStep(42 as unknown as () => Tensor, [w]))
      .toThrow(/fn must be a function/);
  });

  it("gives the same results with two threads", () => {
    const big = (seed: number) => randn([128, 96], { seed, requiresGrad: true });
    const run = (threads: number) => {
      setNumThreads(threads);
      try {
        const w = big(1);
        const step = compileStep((x) => mean(square(matmul(x, w))), [w]);
        const x = randn([256, 128], { seed: 2 }); // 6.3 MFLOP: split over the threads
        const losses = [0, 1, 2].map(() => {
          const value = step(x).data[0];
          sgd([w], 0.01);
          return value;
        });
        return { losses, w: Array.from(w.data) };
      } finally {
        setNumThreads(1);
      }
    };
    expect(run(2)).toEqual(run(1));
  });
});
