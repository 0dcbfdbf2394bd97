// maxPool2d, avgPool2d, globalAvgPool2d and flatten: values and gradients against PyTorch's
// (ties, NaN, −∞, padding, ceil mode, dilation), and error messages.
import { describe, expect, it } from "vitest";
import { torchCases } from "../../test/fixtures/torch-cnn.js";
import { expectClose, wave } from "../../test/fixtures/wave.js";
import { Tensor } from "../tensor.js";
import { mul } from "./arithmetic.js";
import {
  type AvgPool2dOptions, type MaxPool2dOptions, avgPool2d, globalAvgPool2d, maxPool2d,
} from "./pool.js";
import { flatten } from "./shape.js";
import { sum } from "./reduce.js";

type Case = (typeof torchCases)[string];

/** The case's input: rounded to quarters (ties), NaN at 3 and −∞ at 10, as in torch_cnn.py. */
function input(c: Case): Tensor {
  const x = wave(c.x, 0.9, 0.1);
  x.data.forEach((v, i) => (x.data[i] = Math.round(v * 4) / 4));
  x.data[3] = NaN;
  x.data[10] = -Infinity;
  return x.requireGrad();
}

function check(c: Case, run: (x: Tensor) => Tensor): void {
  const x = input(c);
  const y = run(x);
  expect(y.shape).toEqual(c.y);
  expectClose(y.data, c.out, 1e-15, 0, "y");
  sum(mul(y, wave(c.y, 0.37, 1.1))).backward();
  expectClose(x.grad!.data, c.dx, 1e-15, 1e-15, "dx");
}

describe("maxPool2d against PyTorch", () => {
  it("kernel 3, stride 2, padding 1 (NaN wins its windows, ties go to the first)", () => {
    check(torchCases.maxPool3s2p1, (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }));
  });
  it("kernel 2 with ceil mode", () => {
    check(torchCases.maxPool2Ceil, (x) => maxPool2d(x, { kernelSize: 2, ceilMode: true }));
  });
  it("kernel [2, 3], stride [1, 2], padding 1, dilation 2", () => {
    check(torchCases.maxPoolDilated, (x) =>
      maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2], padding: 1, dilation: 2 }));
  });
});

describe("avgPool2d against PyTorch", () => {
  it("kernel 3, stride 2, padding 1, padding counted", () => {
    check(torchCases.avgPoolIncludePad,
      (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }));
  });
  it("padding not counted, ceil mode", () => {
    check(torchCases.avgPoolExcludePadCeil, (x) => avgPool2d(x,
      { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }));
  });
  it("ceil mode counts the part of a window past the input when padding is counted", () => {
    check(torchCases.avgPoolCeilIncludePad,
      (x) => avgPool2d(x, { kernelSize: 2, stride: 2, ceilMode: true }));
  });
});

describe("pooling", () => {
  it("a window of −∞ only gives −∞ and sends its gradient to its first position", () => {
    const x = new Tensor(Float64Array.from([-Infinity, -Infinity, 1, 2]), [1, 1, 1, 4])
      .requireGrad();
    const y = maxPool2d(x, { kernelSize: [1, 2] });
    expect(Array.from(y.data)).toEqual([-Infinity, 2]);
    sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 0, 0, 1]);
  });

  it("overlapping windows add their gradients", () => {
    // Windows [0, 5], [5, 0], [0, 0]: the last one's tie goes to its first position.
    const x = new Tensor(Float64Array.from([0, 5, 0, 0]), [1, 1, 1, 4]).requireGrad();
    sum(maxPool2d(x, { kernelSize: [1, 2], stride: 1 })).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 2, 1, 0]);
  });

  it("globalAvgPool2d is the mean of each plane", () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4, 10, 20, 30, 40]), [1, 2, 2, 2]);
    expect(globalAvgPool2d(x).toArray()).toEqual([[2.5, 25]]);
    expect(globalAvgPool2d(x, { keepdims: true }).shape).toEqual([1, 2, 1, 1]);
  });

  it("flatten joins a range of axes", () => {
    const x = wave([2, 3, 4, 5], 1, 0);
    expect(flatten(x, 1).shape).toEqual([2, 60]);
    expect(flatten(x).shape).toEqual([120]);
    expect(flatten(x, 1, 2).shape).toEqual([2, 12, 5]);
    expect(x.flatten(-2).shape).toEqual([2, 3, 20]);
    expect(() => flatten(x, 2, 1)).toThrow("flatten: startDim 2 comes after endDim 1");
  });
});

describe("pooling errors", () => {
  const x = wave([2, 3, 6, 6], 1, 0);
  it("names the op, the option and the numbers", () => {
    expect(() => maxPool2d(x, {} as MaxPool2dOptions)).toThrow("maxPool2d: kernelSize is required");
    expect(() => maxPool2d(wave([3, 6, 6], 1, 0), { kernelSize: 2 })).toThrow(
      "maxPool2d: input must be [batch, channels, height, width]; got [3, 6, 6]");
    expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(
      "maxPool2d: padding must be at most half the kernel size; got padding [2, 2] for " +
        "kernelSize [2, 2]");
    expect(() => avgPool2d(x, { kernelSize: 7 })).toThrow(/output would be empty.*7×7/);
    expect(() => avgPool2d(x, { kernelSize: 2, dilation: 2 } as AvgPool2dOptions)).toThrow(
      /avgPool2d: unknown option "dilation"/);
    expect(() => avgPool2d(x, { kernelSize: 2, countIncludePad: 1 as never })).toThrow(
      "avgPool2d: countIncludePad must be a boolean; got 1");
    expect(() => maxPool2d(x, { kernelSize: [2, 0] })).toThrow(/kernelSize must be .*\[2,0\]/);
  });
});
