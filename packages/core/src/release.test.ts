// Storage given back with releaseStorage: any later use throws "released" instead of reading the
// numbers of whatever array now lives in that memory.
import { describe, expect, it } from "vitest";
import { compileStep } from "./compile.js";
import { tensor } from "./creation.js";
import { getBackend } from "./kernels/backend.js";
import { releaseStorage, residentStorage } from "./kernels/wasm-backend.js";
import { add, matmul, sum } from "./ops/all.js";
import { Tensor } from "./tensor.js";

function residentTensor(values: number[], shape: number[]): Tensor {
  const data = residentStorage("float32", values.length);
  data.set(values);
  return new Tensor(data, shape);
}

describe("a released tensor", () => {
  it("throws on every use instead of reading another tensor's numbers", () => {
    const a = residentTensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(sum(a).item()).toBe(21);
    releaseStorage(a.data);
    const b = residentTensor([9, 9, 9, 9, 9, 9], [2, 3]); // may reuse a's memory
    expect(sum(b).item()).toBe(54);
    expect(() => sum(a)).toThrow(/sum: x's storage was released/);
    expect(() => add(1, a)).toThrow(/add: b's storage was released/);
    expect(() => matmul(a.reshape([3, 2]), b)).toThrow(/released/);
    expect(() => a.item()).toThrow(/released/);
    expect(() => a.toArray()).toThrow(/toArray: this tensor's storage was released/);
    expect(() => a.clone()).toThrow(/released/);
    expect(() => getBackend().unary({ op: "exp", x: a.data, out: new Float32Array(6) }))
      .toThrow(/unary: x's storage was released with releaseStorage/);
    expect(sum(b).item()).toBe(54);
  });

  it("throws as an input or a parameter of a compiled step, and in its replay", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const step = compileStep((x: Tensor) => sum(add(x, w)), [w]);
    const x = residentTensor([1, 1, 1], [3]);
    expect(step(x).item()).toBe(9);
    expect(step(x).item()).toBe(9);
    releaseStorage(x.data);
    expect(() => step(x)).toThrow(/compileStep: input 0's storage was released/);
    const loss = step(tensor([0, 0, 0])); // a step's own buffers, released by mistake
    expect(loss.item()).toBe(6);
    releaseStorage(loss.data);
    expect(() => step(tensor([0, 0, 0]))).toThrow(/released/);
  });

  it("also counts for arrays that were not resident", () => {
    const a = tensor([1, 2]);
    releaseStorage(a.data);
    expect(() => sum(a)).toThrow(/released/);
    expect(() => releaseStorage([1, 2] as never)).toThrow(
      /releaseStorage: data must be a Float32Array or Float64Array/);
  });
});
