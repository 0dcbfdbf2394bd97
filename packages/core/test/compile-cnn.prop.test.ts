// compileStep on convolutional steps: replays equal the eager tape bit for bit — losses,
// gradients, parameters, batch-norm running statistics (updated on every replay), dropout masks
// (a new one per replay), embedding and class indices read anew per call — on 1 and 2 threads.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileStep } from "../src/compile.js";
import { randn } from "../src/creation.js";
import type { DType } from "../src/dtype.js";
import { getNumThreads, setNumThreads } from "../src/kernels/threads.js";
import { wasmThreadsAvailable } from "../src/kernels/wasm/index.js";
import { setSparsePolicy } from "../src/kernels/wasm/scatter-run.js";
import {
  add, avgPool2d, batchNorm, classProbabilities, conv2d, dropout, embedding, flatten, layerNorm,
  logSoftmax, matmul, maxPool2d, mean, mul, neg, sum,
} from "../src/ops/all.js";
import { Rng } from "../src/random.js";
import { Tensor } from "../src/tensor.js";

const CLASSES = 5;

/** A small CNN's parameters and state (running statistics, the dropout generator). */
function makeModel(dtype: DType, seed: number) {
  const p = (shape: number[], k: number, scale: number) =>
    randn(shape, { dtype, seed: seed + k }).mul(scale).detach().requireGrad();
  return {
    params: {
      c1: p([4, 2, 3, 3], 1, 0.4), b1: p([4], 2, 0.1), c2: p([6, 2, 2, 2], 3, 0.4),
      gamma: p([4], 4, 0.3), beta: p([4], 5, 0.1), w: p([6, CLASSES], 6, 0.4),
      table: p([7, CLASSES], 7, 0.3),
    },
    runningMean: new Tensor(dtype === "float32" ? new Float32Array(4) : new Float64Array(4), [4]),
    runningVar: new Tensor((dtype === "float32" ? Float32Array : Float64Array).from([1, 1, 1, 1]),
      [4]),
    numBatchesTracked: new Tensor(new Float64Array(1), [1]),
    rng: new Rng(seed),
  };
}
type Model = ReturnType<typeof makeModel>;

function lossOf(m: Model, x: Tensor, labels: Tensor, tokens: Tensor): Tensor {
  const q = m.params;
  let h = conv2d(x, q.c1, q.b1, { padding: 1, activation: "relu" });
  h = maxPool2d(h, { kernelSize: 2, ceilMode: true });
  h = batchNorm(h, {
    runningMean: m.runningMean, runningVar: m.runningVar, weight: q.gamma, bias: q.beta,
    numBatchesTracked: m.numBatchesTracked, training: true, momentum: 0.3,
  });
  h = conv2d(h, q.c2, null, { stride: [1, 2], groups: 2, dilation: [1, 1] });
  h = avgPool2d(h, { kernelSize: [2, 1], padding: [1, 0], countIncludePad: false });
  const f = dropout(flatten(h, 1), 0.3, { rng: m.rng });
  const logits = layerNorm(add(matmul(f, q.w), embedding(tokens, q.table)), [CLASSES]);
  const target = classProbabilities(labels, CLASSES, { labelSmoothing: 0.1, dtype: x.dtype });
  return neg(mean(sum(mul(target, logSoftmax(logits, 1)), 1)));
}

const all = (m: Model) => Object.values(m.params);

/** Losses and every value that must match after `batches` steps, eager or compiled. */
function train(compiled: boolean, dtype: DType, seed: number, steps: number) {
  const m = makeModel(dtype, seed);
  const params = all(m);
  const eager = (x: Tensor, labels: Tensor, tokens: Tensor) => {
    const loss = lossOf(m, x, labels, tokens);
    for (const p of params) p.grad = null;
    loss.backward();
    return loss;
  };
  const step = compiled ? compileStep((x, l, t) => lossOf(m, x, l, t), params) : eager;
  const rng = new Rng(seed + 99);
  const [x, labels, tokens] = [randn([3, 2, 4, 5], { dtype, seed }),
    new Tensor(new Float32Array(3), [3]), new Tensor(new Float64Array(3), [3])];
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    // The same input tensors with new values each step, as a training loop's buffers.
    x.data.set(randn(x.shape, { dtype, seed: seed + s + 1 }).data);
    labels.data.forEach((_, i) => (labels.data[i] = rng.int(CLASSES)));
    tokens.data.forEach((_, i) => (tokens.data[i] = rng.int(7)));
    out.push([step(x, labels, tokens).data[0]]);
    for (const p of params) {
      out.push(Array.from(p.grad!.data));
      p.data.forEach((v, i) => (p.data[i] = v - 0.1 * p.grad!.data[i]));
    }
    out.push(Array.from(m.runningMean.data), Array.from(m.runningVar.data));
  }
  out.push([...m.rng.getState().s], [m.numBatchesTracked.data[0]]);
  return out;
}

const threadCounts = wasmThreadsAvailable() ? [1, 2] : [1];

const SLOW = { timeout: 120_000 }; // heavy properties on a shared host; no time assertion

describe.each(threadCounts)("compileStep on CNN steps (%i threads)", SLOW, (threads) => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  for (const dtype of ["float32", "float64"] as const) {
    it(`replays bit for bit: losses, gradients, parameters, statistics, masks (${dtype})`, () => {
      setNumThreads(threads);
      fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
        const eager = train(false, dtype, seed, 4);
        const compiled = train(true, dtype, seed, 4);
        expect(compiled).toEqual(eager);
      }), { numRuns: 8 });
    });
  }

  it("replays the sparse convolution paths bit for bit too", () => {
    setNumThreads(threads);
    const previous = setSparsePolicy("always");
    try {
      fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
        expect(train(true, "float32", seed, 4)).toEqual(train(false, "float32", seed, 4));
      }), { numRuns: 8 });
    } finally {
      setSparsePolicy(previous);
    }
  });
});

describe("compiled CNN steps read their state when they run", SLOW, () => {
  it("running statistics keep moving and each replay draws a new dropout mask", () => {
    const m = makeModel("float32", 3);
    const step = compileStep((x, l, t) => lossOf(m, x, l, t), all(m));
    const x = randn([3, 2, 4, 5], { seed: 1 });
    const [labels, tokens] = [new Tensor(new Float32Array(3), [3]), new Tensor(new Float32Array(3),
      [3])];
    const means: number[][] = [];
    const grads: number[][] = [];
    for (let s = 0; s < 3; s++) {
      step(x, labels, tokens);
      means.push(Array.from(m.runningMean.data));
      grads.push(Array.from(m.params.w.grad!.data));
    }
    expect(m.numBatchesTracked.data[0]).toBe(3); // counted on the trace's run and each replay
    expect(means[1]).not.toEqual(means[0]);
    expect(means[2]).not.toEqual(means[1]);
    // Same inputs and parameters, so only the dropout mask changes the gradient.
    expect(grads[1]).not.toEqual(grads[0]);
    expect(step.traceCount).toBe(1);
  });
});
