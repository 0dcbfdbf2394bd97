// conv2d and conv1d: values and gradients against PyTorch's, fused relu, and error messages.
import { describe, expect, it } from "vitest";
import { torchCases } from "../../test/fixtures/torch-cnn.js";
import { expectClose, wave } from "../../test/fixtures/wave.js";
import { Tensor } from "../tensor.js";
import { conv1d, conv2d, type Conv2dOptions } from "./conv.js";
import { relu } from "./unary.js";
import { add, mul } from "./arithmetic.js";
import { sum } from "./reduce.js";
import { reshape } from "./shape.js";

type Case = (typeof torchCases)[string];

/** Runs a PyTorch case: forward values, then the gradients of ⟨y, wave(y.shape, 0.37, 1.1)⟩. */
function check(c: Case, options: Conv2dOptions, oneD = false): void {
  const x = wave(c.x, 0.7, 0.3).requireGrad();
  const w = wave(c.w, 1.3, -0.2).requireGrad();
  const b = c.bias[0] === 1 ? wave([c.w[0]], 0.9, 0.5).requireGrad() : null;
  const y = oneD ? conv1d(x, w, b, options as never) : conv2d(x, w, b, options);
  expect(y.shape).toEqual(c.y);
  expectClose(y.data, c.out, 1e-12, 1e-12, "y");
  sum(mul(y, wave(c.y, 0.37, 1.1))).backward();
  expectClose(x.grad!.data, c.dx, 1e-12, 1e-12, "dx");
  expectClose(w.grad!.data, c.dw, 1e-12, 1e-12, "dw");
  if (b !== null) expectClose(b.grad!.data, c.db, 1e-12, 1e-12, "db");
}

describe("conv2d against PyTorch (float64)", () => {
  it("padding 1 with a bias", () => check(torchCases.conv2dPad1Bias, { padding: 1 }));
  it("stride [2, 1], padding [1, 0], dilation [1, 2]", () => {
    check(torchCases.conv2dStrideDilation,
      { stride: [2, 1], padding: [1, 0], dilation: [1, 2] });
  });
  it('groups 2 with padding "same" on an even kernel (asymmetric) and dilation [2, 1]', () => {
    check(torchCases.conv2dGroupsSame, { padding: "same", dilation: [2, 1], groups: 2 });
  });
  it("stride 3, padding 2 (rows the windows never reach get no gradient)", () => {
    check(torchCases.conv2dStride3Pad2, { stride: 3, padding: 2 });
  });
  it("conv1d with stride 2, padding 1 and groups 2", () => {
    check(torchCases.conv1dStrideGroups,
      { stride: 2, padding: 1, groups: 2 } as Conv2dOptions, true);
  });
});

describe("conv2d", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`fused relu equals relu(conv2d(x, w) + b) value for value (${dtype})`, () => {
      const x = wave([2, 3, 6, 5], 0.7, 0.3, dtype);
      const w = wave([4, 3, 3, 3], 1.3, -0.2, dtype);
      const b = wave([4], 0.9, 0.5, dtype);
      const fused = conv2d(x, w, b, { padding: 1, activation: "relu" });
      const plain = relu(add(conv2d(x, w, null, { padding: 1 }), reshape(b, [1, 4, 1, 1])));
      expect(Array.from(fused.data)).toEqual(Array.from(plain.data));
    });
  }

  it("fused relu passes the gradient where the output is positive", () => {
    const x = wave([1, 1, 3, 3], 0.7, 0.3).requireGrad();
    const w = new Tensor(Float64Array.from([1]), [1, 1, 1, 1]).requireGrad();
    sum(conv2d(x, w, null, { activation: "relu" })).backward();
    expect(Array.from(x.grad!.data)).toEqual(Array.from(x.data).map((v) => (v > 0 ? 1 : 0)));
  });

  it("promotes mixed dtypes to float64, and a float32 input gets a float32 gradient", () => {
    const x = wave([1, 2, 4, 4], 0.7, 0.3, "float32").requireGrad();
    const w = wave([3, 2, 3, 3], 1.3, -0.2);
    const y = conv2d(x, w);
    expect(y.dtype).toBe("float64");
    sum(y).backward();
    expect(x.grad!.dtype).toBe("float32");
  });

  it("handles a batch of 0", () => {
    const y = conv2d(wave([0, 2, 4, 4], 1, 0), wave([3, 2, 3, 3], 1, 0));
    expect(y.shape).toEqual([0, 3, 2, 2]);
  });
});

describe("conv2d errors name the op, the argument and the numbers", () => {
  const x = wave([2, 4, 8, 8], 1, 0);
  const w = wave([6, 4, 3, 3], 1, 0);
  it("rejects bad shapes", () => {
    expect(() => conv2d(wave([4, 8, 8], 1, 0), w)).toThrow(
      "conv2d: input must be [batch, channels, height, width]; got [4, 8, 8]");
    expect(() => conv2d(x, wave([6, 4, 3], 1, 0))).toThrow(/weight must be .*got \[6, 4, 3\]/);
    expect(() => conv2d(x, wave([6, 3, 3, 3], 1, 0))).toThrow(
      "conv2d: weight [6, 3, 3, 3] needs in/groups = 4 / 1 = 4 in its second dimension, " +
        "for input [2, 4, 8, 8]");
    expect(() => conv2d(x, w, wave([5], 1, 0))).toThrow("conv2d: bias must be [6]; got [5]");
    expect(() => conv2d(x, w, { padding: 1 } as never)).toThrow("conv2d: bias must be a " +
      "Tensor or null; got an object (options come fourth, e.g. conv2d(x, weight, null, " +
      "{ padding: 1 }))");
    expect(() => conv1d(wave([2, 4, 8], 1, 0), wave([6, 4, 3], 1, 0), { stride: 2 } as never))
      .toThrow("conv1d: bias must be a Tensor or null; got an object (options come fourth");
    expect(() => conv2d(x, w, new Float32Array(6) as never)).toThrow("conv2d: bias must be a " +
      "Tensor or null; got a Float32Array (make it a tensor)");
    expect(() => conv2d(x, wave([6, 4, 9, 9], 1, 0))).toThrow(/output would be empty.*9×9/);
  });
  it("rejects bad attributes", () => {
    expect(() => conv2d(x, w, null, { groups: 3 })).toThrow(
      "conv2d: groups 3 must divide the input channels 4 and the output channels 6");
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(
      "conv2d: stride must be a number or [n, n] of positive integers; got 0");
    expect(() => conv2d(x, w, null, { padding: [1, -1] })).toThrow(/padding must .*\[1,-1\]/);
    expect(() => conv2d(x, w, null, { padding: "same", stride: 2 })).toThrow(
      'conv2d: padding "same" needs stride 1 (as in PyTorch); got stride 2');
    expect(() => conv2d(x, w, null, { dilation: 1.5 })).toThrow(/dilation .*1.5/);
    expect(() => conv2d(x, w, null, { activation: "tanh" as never })).toThrow(
      'conv2d: activation must be "identity" or "relu"; got "tanh"');
    expect(() => conv2d(x, w, null, { strides: 2 } as never)).toThrow(
      /conv2d: unknown option "strides"; did you mean "stride"\?/);
  });
  it("conv1d checks its own shapes", () => {
    expect(() => conv1d(x, w)).toThrow(
      "conv1d: input must be [batch, channels, length]; got [2, 4, 8, 8]");
    expect(() => conv1d(wave([2, 4, 3], 1, 0), wave([6, 4, 5], 1, 0))).toThrow(
      /conv1d: the output would be empty: input \[2, 4, 3\] \(length 3/);
  });
});
