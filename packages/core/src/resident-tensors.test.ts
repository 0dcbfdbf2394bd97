// moveToResident: same values in the kernels' memory, writes through the tensor seen by later
// ops and steps, graphs built before the move still right, float64 and other backends untouched.
import { afterEach, describe, expect, it } from "vitest";
import { tensor } from "./creation.js";
import { getBackend, setBackend } from "./kernels/backend.js";
import { jsBackend } from "./kernels/js-backend.js";
import { load } from "./kernels/wasm/state.js";
import { releaseStorage, wasmBackend } from "./kernels/wasm-backend.js";
import { matmul, sum } from "./ops/all.js";
import { moveToResident } from "./resident-tensors.js";
import { Tensor } from "./tensor.js";

afterEach(() => setBackend(wasmBackend));

describe("moveToResident", () => {
  it("moves float32 storage with the same values and leaves float64 where it is", () => {
    const w = tensor([[1, -2], [3.5, 4]], { requiresGrad: true });
    const d = tensor([1, 2], { dtype: "float64" });
    const [before, before64] = [w.data, d.data];
    moveToResident([w, d]);
    expect(w.data).not.toBe(before);
    expect(getBackend().isResident(w.data)).toBe(true);
    expect(w.toArray()).toEqual([[1, -2], [3.5, 4]]);
    expect(d.data).toBe(before64);
    const moved = w.data;
    moveToResident([w]); // already there: nothing happens
    expect(w.data).toBe(moved);
  });

  it("later writes through t.data reach the ops and the gradients (nothing stale)", () => {
    const x = tensor([[1, 2]]);
    const w = tensor([[1], [1]], { requiresGrad: true });
    moveToResident([w]);
    expect(matmul(x, w).item()).toBe(3);
    w.data[1] = 10; // an in-place write after a use
    expect(matmul(x, w).item()).toBe(21);
    const y = matmul(w.T, w); // uses w twice
    y.sum().backward();
    expect(w.grad!.toArray()).toEqual([[2], [20]]);
  });

  it("keeps a graph recorded before the move right", () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    const loss = sum(matmul(x, w).square());
    moveToResident([w, x]);
    loss.backward();
    const [xr, wr] = [x.detach(), w.detach()];
    const reference = sum(matmul(xr.requireGrad(), wr.requireGrad()).square());
    reference.backward();
    expect(w.grad!.toArray()).toEqual(wr.grad!.toArray());
    expect(x.grad!.toArray()).toEqual(xr.grad!.toArray());
  });

  it("leaves every tensor as it is on a backend without memory of its own", () => {
    setBackend(jsBackend);
    const w = tensor([1, 2, 3]);
    const before = w.data;
    moveToResident([w]);
    expect(w.data).toBe(before);
  });

  it("refuses released storage and anything but an array of tensors", () => {
    const w = tensor([1, 2]);
    releaseStorage(w.data);
    expect(() => moveToResident([w])).toThrow(
      /moveToResident: tensors\[0\]'s storage was released/);
    expect(() => moveToResident([tensor([1]), [1, 2] as unknown as Tensor])).toThrow(
      /moveToResident: tensors\[1\] is not a Tensor/);
    expect(() => moveToResident(tensor([1]) as unknown as Tensor[])).toThrow(
      /moveToResident: tensors must be an array of Tensors/);
  });
});

describe("eager steps on moved parameters", () => {
  it("take no memory of the heap per step: it stays as it was after the first", () => {
    const values = Array.from({ length: 64 * 600 }, (_, i) => Math.sin(i));
    const w = tensor(values).reshape([64, 600]).detach().requireGrad();
    const x = tensor(Array.from({ length: 8 * 64 }, (_, i) => Math.cos(i))).reshape([8, 64]);
    moveToResident([w]);
    const heap = load().heap!;
    const eagerStep = () => {
      w.grad = null;
      sum(matmul(x, w).square()).backward();
      getBackend().descend({ w: w.data, g: w.grad!.data, learningRate: 1e-4 });
    };
    eagerStep();
    const after = heap.allocatedBytes;
    for (let i = 0; i < 20; i++) eagerStep();
    expect(heap.allocatedBytes).toBe(after);
  });
});
