// Plain loss.backward() passes on pooled storage: the gradients of the functional API bit for
// bit, pass after pass; a gradient once read through .grad never changes again; unread ones
// reused in place; accumulation, aliasing, custom ops, float64, new memories, heap use flat.
import { afterEach, describe, expect, it } from "vitest";
import { peekGrad } from "./backward-pool.js";
import { customOp } from "./custom-op.js";
import { randn } from "./creation.js";
import type { DType } from "./dtype.js";
import { grad } from "./functional.js";
import { getBackend, setBackend } from "./kernels/backend.js";
import { jsBackend } from "./kernels/js-backend.js";
import { setNumThreads } from "./kernels/threads.js";
import { load } from "./kernels/wasm/state.js";
import { wasmThreadsAvailable } from "./kernels/wasm/index.js";
import { releaseStorage, wasmBackend } from "./kernels/wasm-backend.js";
import { moveToResident } from "./resident-tensors.js";
import { add, gather, linear, matmul, mul, sigmoid, sum } from "./ops/all.js";
import type { Tensor } from "./tensor.js";

afterEach(() => {
  setBackend(wasmBackend);
  setNumThreads(1);
});

/** A small dense net's loss on batch `seed`, its parameters given. */
function lossOf(params: readonly Tensor[], seed: number, dtype: DType = "float32"): Tensor {
  const [w1, b1, w2] = params;
  const x = randn([16, 40], { seed, dtype });
  const h = linear(x, w1, b1, { activation: "leakyRelu", slope: 0.1 });
  return sum(sigmoid(matmul(h, w2)).square());
}
const makeParams = (dtype: DType = "float32") => [
  randn([40, 300], { seed: 1, dtype }).mul(0.1).requireGrad(),
  randn([300], { seed: 2, dtype }).requireGrad(),
  randn([300, 3], { seed: 3, dtype }).mul(0.1).requireGrad(),
];
const values = (t: Tensor | null) => (t === null ? null : Array.from(t.data));
/** The gradients of batch `seed` from the functional API, which never pools. */
function reference(params: readonly Tensor[], seed: number, dtype: DType = "float32") {
  const grads = grad((...ps: Tensor[]) => lossOf(ps, seed, dtype), [0, 1, 2])(...params);
  return grads.map(values);
}
const peeked = (params: readonly Tensor[]) => params.map((p) => values(peekGrad(p)));

describe("plain backward passes", () => {
  for (const threads of wasmThreadsAvailable() ? [1, 2] : [1]) {
    for (const moved of [false, true]) {
      it(`give the functional API's gradients and reuse unread storage (${threads} ` +
        `thread(s), parameters ${moved ? "moved to the kernels' memory" : "where they are"})`,
      () => {
        setNumThreads(threads);
        const params = makeParams();
        if (moved) moveToResident(params);
        let storage: Tensor[] | null = null;
        for (let pass = 0; pass < 5; pass++) {
          const want = reference(params, 10 + pass);
          for (const p of params) p.grad = null;
          lossOf(params, 10 + pass).backward();
          expect(peeked(params)).toEqual(want);
          const grads = params.map((p) => peekGrad(p)!);
          // In the kernels' memory exactly when the parameter is (the update reads in place).
          expect(grads.map((g) => getBackend().isResident(g.data))).toEqual([moved, moved, moved]);
          // Nobody read them: each pass writes into the same tensors.
          if (storage !== null) grads.forEach((g, i) => expect(g).toBe(storage![i]));
          storage = grads;
          params[0].data[pass] += 0.5; // an in-place write: the next pass must see it
        }
      });
    }
  }

  it("hand a gradient out as an ordinary array, never a view of the shared memory", () => {
    const params = makeParams();
    moveToResident(params);
    lossOf(params, 15).backward();
    const g = params[0].grad!;
    expect(g.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(getBackend().isResident(g.data)).toBe(false);
    // A structured clone is then a copy: later passes and collections cannot change it.
    const clone = structuredClone(g.data);
    for (const p of params) p.grad = null;
    lossOf(params, 16).backward();
    expect(Array.from(clone)).toEqual(reference(params, 15)[0]);
  });

  it("zero reused storage for kernels that add into it (gather's backward)", () => {
    const table = randn([50, 30], { seed: 4 }).requireGrad();
    const rows = [3, 7, 3, 49, 0, 7, 7];
    const loss = (t: Tensor) => sum(gather(t, rows).square());
    const want = values(grad(loss)(table));
    for (let pass = 0; pass < 4; pass++) {
      table.grad = null;
      loss(table).backward();
      expect(values(peekGrad(table))).toEqual(want);
    }
  });

  it("never change a gradient once read through .grad, zeroed or accumulated", () => {
    const params = makeParams();
    lossOf(params, 20).backward();
    const first = params.map((p) => p.grad!);
    const want = reference(params, 20);
    for (const p of params) p.grad = null;
    lossOf(params, 21).backward();
    expect(first.map(values)).toEqual(want);
    expect(peeked(params)).toEqual(reference(params, 21));
    // Accumulating (no zeroing) onto gradients read before: a new tensor, the old ones kept.
    const second = params.map((p) => p.grad!);
    const kept = second.map(values);
    lossOf(params, 22).backward();
    expect(second.map(values)).toEqual(kept);
    const more = reference(params, 22);
    params.forEach((p, i) => {
      const sums = kept[i]!.map((v, j) => Math.fround(v + more[i]![j]));
      expect(values(p.grad)).toEqual(sums);
    });
  });

  it("accumulate unread gradients over passes, as fresh storage would", () => {
    const params = makeParams();
    lossOf(params, 30).backward();
    lossOf(params, 31).backward();
    const [a, b] = [reference(params, 30), reference(params, 31)];
    expect(peeked(params)).toEqual(a.map((g, i) => g!.map((v, j) => Math.fround(v + b[i]![j]))));
  });

  it("give two leaves that get one tensor in the pass storage of their own", () => {
    // add's vjp hands the same gradient to both inputs.
    const u = randn([300], { seed: 5 }).requireGrad();
    const v = randn([300], { seed: 6 }).requireGrad();
    const loss = (seed: number) => sum(mul(add(u, v), randn([300], { seed })));
    for (let pass = 0; pass < 3; pass++) {
      u.grad = null;
      v.grad = null;
      loss(40 + pass).backward();
      const want = values(randn([300], { seed: 40 + pass }));
      expect(values(peekGrad(u))).toEqual(want);
      expect(values(peekGrad(v))).toEqual(want);
      expect(peekGrad(u)!.data).not.toBe(peekGrad(v)!.data);
      peekGrad(u)!.data[0] = 99; // written through one: the other keeps its value
      expect(peekGrad(v)!.data[0]).toBe(want![0]);
    }
  });

  it("leave a custom op's kept cotangent intact through later passes", () => {
    const kept: Tensor[] = [];
    const double = customOp({
      name: "double",
      forward: (x) => x.mul(2),
      vjp: (dy) => {
        kept.push(dy);
        return [dy.mul(2)];
      },
    });
    const w = randn([200], { seed: 7 }).requireGrad();
    const loss = (seed: number) => sum(mul(double(w), randn([200], { seed })));
    loss(50).backward();
    const snapshot = values(kept[0]);
    for (let pass = 1; pass < 4; pass++) {
      w.grad = null;
      loss(50 + pass).backward();
    }
    expect(values(kept[0])).toEqual(snapshot);
    expect(snapshot).toEqual(values(randn([200], { seed: 50 })));
    expect(values(peekGrad(w))).toEqual(values(randn([200], { seed: 53 }).mul(2)));
  });

  it("take no memory of the heap per step after the first", () => {
    const params = makeParams();
    moveToResident(params);
    const heap = load().heap!;
    const step = (seed: number) => {
      for (const p of params) p.grad = null;
      lossOf(params, seed).backward();
    };
    step(60);
    const after = heap.allocatedBytes;
    for (let pass = 1; pass < 20; pass++) step(60 + pass);
    expect(heap.allocatedBytes).toBe(after);
  });

  it("keep the heap bounded in a synchronous loop whose shapes change every step", () => {
    const w = randn([40, 30], { seed: 11 }).requireGrad();
    const heap = load().heap!;
    const step = (rows: number) => sum(matmul(randn([rows, 40], { seed: rows }), w)).backward();
    step(1);
    const before = heap.allocatedBytes;
    // Each batch size leaves blocks of its own; past two passes' worth they are given back.
    // Kept, the blocks of these 298 passes would be about 5 MB; the largest pass is 50 KB.
    for (let rows = 2; rows < 300; rows++) step(rows);
    expect(heap.allocatedBytes - before).toBeLessThan(1 << 20);
  });

  it("run a pass through a customOp on ordinary arrays: the heap stays as it was", () => {
    const square = customOp({ name: "sq", forward: (x) => x.mul(x), vjp: (dy, { inputs }) =>
      [dy.mul(inputs[0]).mul(2)] });
    const w = randn([300, 300], { seed: 12 }).requireGrad();
    const heap = load().heap!;
    const before = heap.allocatedBytes;
    for (let pass = 0; pass < 10; pass++) {
      w.grad = null;
      sum(square(w)).backward();
    }
    expect(heap.allocatedBytes).toBe(before);
    expect(values(peekGrad(w))).toEqual(values(w.mul(2)));
  });

  it("refuse a gradient of another shape or dtype, and peekGrad of a non-tensor", () => {
    const w = randn([3], { seed: 13 }).requireGrad();
    expect(() => { w.grad = randn([2, 3], { seed: 1 }); }).toThrow(
      "grad: a gradient must be null or a float32 tensor of this tensor's shape [3]; " +
        "got float32 [2, 3]");
    expect(() => { w.grad = randn([3], { seed: 1, dtype: "float64" }); }).toThrow(
      /got float64 \[3\]/);
    expect(() => { w.grad = [1, 2, 3] as unknown as Tensor; }).toThrow(/got an array/);
    expect(() => peekGrad({} as Tensor)).toThrow("peekGrad: t must be a Tensor");
  });

  it("give a gradient that was read and released new storage, with no error", () => {
    const w = randn([40, 30], { seed: 8 }).requireGrad();
    const x = randn([5, 40], { seed: 9 });
    const want = values(grad((t: Tensor) => sum(matmul(x, t)))(w));
    sum(matmul(x, w)).backward();
    releaseStorage(w.grad!.data);
    w.grad = null;
    sum(matmul(x, w)).backward();
    expect(values(w.grad)).toEqual(want);
  });

  it("stay right across a change of thread count, gradients moving to the new memory", () => {
    const params = makeParams();
    moveToResident(params);
    lossOf(params, 70).backward();
    for (const threads of wasmThreadsAvailable() ? [2, 1] : [1]) {
      setNumThreads(threads);
      moveToResident(params); // a new memory: the parameters move again
      for (const p of params) p.grad = null;
      lossOf(params, 71 + threads).backward();
      expect(peeked(params)).toEqual(reference(params, 71 + threads));
      expect(params.every((p) => getBackend().isResident(peekGrad(p)!.data))).toBe(true);
    }
  });

  it("leave float64 leaves and other backends as they were", () => {
    const params = makeParams("float64");
    lossOf(params, 80, "float64").backward();
    expect(peeked(params)).toEqual(reference(params, 80, "float64"));
    expect(params.some((p) => getBackend().isResident(peekGrad(p)!.data))).toBe(false);
    setBackend(jsBackend);
    const table = randn([10, 4], { seed: 10 }).requireGrad();
    sum(gather(table, [1, 1, 3])).backward();
    expect(values(table.grad)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i >= 4 && i < 8 ? 2 : i >= 12 && i < 16 ? 1 : 0)));
  });
});
