// BackwardBuffers: the gradients of plain backward passes bit for bit, pass after pass; a pass's
// tensors intact through the next one; accumulation, in-place writes, released storage, a new
// memory, two sets of buffers sharing a parameter; heap use flat; float32 and float64.
import { afterEach, describe, expect, it } from "vitest";
import { BackwardBuffers } from "./backward-buffers.js";
import { compileStep } from "./compile.js";
import { randn, tensor } from "./creation.js";
import type { DType } from "./dtype.js";
import { getBackend, setBackend } from "./kernels/backend.js";
import { jsBackend } from "./kernels/js-backend.js";
import { setNumThreads } from "./kernels/threads.js";
import { load } from "./kernels/wasm/state.js";
import { wasmThreadsAvailable } from "./kernels/wasm/index.js";
import { releaseStorage, wasmBackend } from "./kernels/wasm-backend.js";
import { gather, leakyRelu, linear, matmul, sigmoid, slice, sum } from "./ops/all.js";
import { Tensor } from "./tensor.js";

afterEach(() => {
  setBackend(wasmBackend);
  setNumThreads(1);
});

/** A small dense net's loss on batch `seed`, its parameters given. */
function lossOf(params: Tensor[], seed: number, dtype: DType = "float32", batch = 16): Tensor {
  const [w1, b1, w2] = params;
  const x = randn([batch, 40], { seed, dtype });
  const h = linear(x, w1, b1, { activation: "leakyRelu", slope: 0.1 });
  return sum(sigmoid(matmul(leakyRelu(h, 0.2), w2)).square());
}
const makeParams = (dtype: DType = "float32") => [
  randn([40, 300], { seed: 1, dtype }).mul(0.1).requireGrad(),
  randn([300], { seed: 2, dtype }).requireGrad(),
  randn([300, 3], { seed: 3, dtype }).mul(0.1).requireGrad(),
];
const values = (t: Tensor | null) => (t === null ? null : Array.from(t.data));
/** The gradients of a plain backward pass on batch `seed`. */
function plainGrads(params: Tensor[], seed: number, dtype: DType = "float32") {
  const copies = params.map((p) => p.detach().clone().requireGrad());
  lossOf(copies, seed, dtype).backward();
  return copies.map((p) => values(p.grad));
}

describe("BackwardBuffers", () => {
  for (const threads of wasmThreadsAvailable() ? [1, 2] : [1]) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`gives plain backward's gradients, and keeps them through the next pass ` +
        `(${dtype}, ${threads} thread(s))`, () => {
        setNumThreads(threads);
        const params = makeParams(dtype);
        const buffers = new BackwardBuffers();
        let previous: { grads: Tensor[]; want: Array<number[] | null> } | null = null;
        for (let pass = 0; pass < 5; pass++) {
          const want = plainGrads(params, 10 + pass, dtype);
          for (const p of params) p.grad = null;
          buffers.backward(lossOf(params, 10 + pass, dtype));
          expect(params.map((p) => values(p.grad))).toEqual(want);
          expect(params.every((p) => getBackend().isResident(p.grad!.data)))
            .toBe(dtype === "float32");
          // The last pass's gradients: untouched by this one.
          if (previous !== null) expect(previous.grads.map(values)).toEqual(previous.want);
          previous = { grads: params.map((p) => p.grad!), want };
          // An in-place write to a parameter after its use: the next pass must see it.
          params[0].data[pass] += 0.5;
        }
      });
    }
  }

  it("zeroes reused storage for kernels that add into it (gather and slice backward)", () => {
    const table = randn([50, 300], { seed: 4 }).requireGrad();
    const rows = [3, 7, 3, 49, 0, 7, 7];
    const loss = (t: Tensor) => sum(gather(t, rows).square()).add(sum(slice(t, [10, 5], [20, 90])));
    const plain = table.detach().clone().requireGrad();
    loss(plain).backward();
    const buffers = new BackwardBuffers();
    for (let pass = 0; pass < 4; pass++) {
      table.grad = null;
      buffers.backward(loss(table));
      expect(values(table.grad)).toEqual(values(plain.grad));
    }
  });

  it("accumulates over passes without zeroGrad, as plain backward does", () => {
    const [params, plain] = [makeParams(), makeParams()];
    const buffers = new BackwardBuffers();
    for (let pass = 0; pass < 4; pass++) {
      buffers.backward(lossOf(params, pass));
      lossOf(plain, pass).backward();
      expect(params.map((p) => values(p.grad))).toEqual(plain.map((p) => values(p.grad)));
    }
  });

  it("never reuses a block a parameter's .grad still holds (accumulating, unused since)", () => {
    // a and b have the same size, so a freed block of b's gradient would fit a's next one.
    const a = randn([64, 32], { seed: 1 }).requireGrad();
    const b = randn([64, 32], { seed: 2 }).requireGrad();
    const buffers = new BackwardBuffers();
    buffers.backward(sum(a.mul(b)));
    const bGrad = b.grad!;
    const want = values(bGrad);
    // No zeroGrad: the next passes reach a only; b's gradient must stay as it was.
    for (let pass = 0; pass < 4; pass++) buffers.backward(sum(a.square()));
    expect(b.grad).toBe(bGrad);
    expect(values(b.grad)).toEqual(want);
  });

  it("never hands out released storage again, and drops blocks of a replaced memory", () => {
    const params = makeParams();
    const buffers = new BackwardBuffers();
    buffers.backward(lossOf(params, 1));
    const released = params[0].grad!;
    releaseStorage(released.data);
    for (let pass = 2; pass < 6; pass++) {
      for (const p of params) p.grad = null;
      if (pass === 4) setNumThreads(1); // a new memory: older blocks are the kernels' no more
      buffers.backward(lossOf(params, pass));
      expect(params.map((p) => values(p.grad))).toEqual(plainGrads(params, pass));
      expect(params[0].grad!.data).not.toBe(released.data);
    }
    expect(() => released.sum()).toThrow(/released/);
  });

  it("keeps two sets apart when they share a parameter", () => {
    const params = makeParams();
    const [a, b] = [new BackwardBuffers(), new BackwardBuffers()];
    for (let pass = 0; pass < 4; pass++) {
      for (const p of params) p.grad = null;
      a.backward(lossOf(params, pass));
      const fromA = params.map((p) => p.grad!);
      for (const p of params) p.grad = null;
      b.backward(lossOf(params, 100 + pass));
      expect(fromA.map(values)).toEqual(plainGrads(params, pass));
      expect(params.map((p) => values(p.grad))).toEqual(plainGrads(params, 100 + pass));
    }
  });

  it("holds the heap flat, a smaller last batch every few passes included", () => {
    const params = makeParams();
    const buffers = new BackwardBuffers();
    // An epoch of three batches of 16 and a last one of 5, as fit's.
    const epoch = () => {
      for (const batch of [16, 16, 16, 5]) {
        for (const p of params) p.grad = null;
        buffers.backward(lossOf(params, 7, "float32", batch));
      }
    };
    epoch();
    epoch();
    const heap = load().heap!;
    const used = heap.allocatedBytes;
    for (let i = 0; i < 10; i++) epoch();
    expect(heap.allocatedBytes).toBe(used);
  });

  it("uses ordinary arrays on a backend without memory of its own", () => {
    setBackend(jsBackend);
    const params = makeParams();
    new BackwardBuffers().backward(lossOf(params, 3));
    expect(params.map((p) => values(p.grad))).toEqual(plainGrads(params, 3));
  });

  it("refuses a non-tensor and a call inside a compiled step", () => {
    expect(() => new BackwardBuffers().backward(3 as unknown as Tensor)).toThrow(
      "BackwardBuffers.backward: loss must be a Tensor");
    const w = tensor([1, 2], { requiresGrad: true });
    const buffers = new BackwardBuffers();
    const step = compileStep((x: Tensor) => {
      buffers.backward(sum(x.mul(w)));
      return sum(x);
    }, [w]);
    expect(() => step(tensor([1, 1]))).toThrow(/BackwardBuffers.backward: not allowed inside/);
  });
});
