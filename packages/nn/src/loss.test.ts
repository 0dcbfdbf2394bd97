// Losses against hand-computed values for every reduction; stability, labels, shapes, gradients.
import { type Tensor, compileStep, mul, sigmoid, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { type Reduction, bce, bceWithLogits, crossEntropy, mse } from "./loss.js";
import { torchCases } from "../test/torch-loss-fixtures.js";

const f64 = { dtype: "float64" } as const;

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(tol));
}

/** Checks "none", "sum", "mean" and "batchMean" (sum / batch) against the per-element losses. */
function checkReductions(
  loss: (reduction: Reduction) => Tensor, perElement: number[], shape: number[],
): void {
  const none = loss("none");
  expect([...none.shape]).toEqual(shape);
  expectClose(none.data, perElement);
  const total = perElement.reduce((a, b) => a + b, 0);
  expect(loss("sum").item()).toBeCloseTo(total, 12);
  expect(loss("mean").item()).toBeCloseTo(total / perElement.length, 12);
  expect(loss("batchMean").item()).toBeCloseTo(total / shape[0], 12);
  expect(loss("sum").shape).toEqual([]);
}

describe("mse", () => {
  it("matches (t − y)² under every reduction", () => {
    const y = tensor([[1, 2], [3, 4]], f64);
    const t = tensor([[0, 2], [5, 1]], f64);
    checkReductions((reduction) => mse(y, t, { reduction }), [1, 0, 4, 9], [2, 2]);
    expect(mse(y, t).item()).toBe(3.5); // default "mean"
    expect(mse(y, t, { reduction: "batchMean" }).item()).toBe(7); // 14 / 2
  });
});

describe("bce", () => {
  const p = tensor([[0.9, 0.2], [0.6, 0.5]], f64);
  const t = tensor([[1, 0], [0, 1]], f64);
  const perElement = [-Math.log(0.9), -Math.log(0.8), -Math.log(0.4), -Math.log(0.5)];

  it("matches −[t ln p + (1 − t) ln(1 − p)] under every reduction", () => {
    checkReductions((reduction) => bce(p, t, { reduction }), perElement, [2, 2]);
  });

  it("clamps probabilities 0 and 1 to [eps, 1 − eps] and stays finite", () => {
    const wrong = bce(tensor([0, 1], f64), tensor([1, 0], f64), { reduction: "none" });
    expectClose(wrong.data, [-Math.log(1e-7), -Math.log(1e-7)], 1e-8);
    const right = bce(tensor([0, 1], f64), tensor([0, 1], f64), { reduction: "none" });
    expectClose(right.data, [1e-7, 1e-7], 1e-12);
    const custom = bce(tensor([0], f64), tensor([1], f64), { eps: 1e-3 });
    expect(custom.item()).toBeCloseTo(-Math.log(1e-3), 12);
    const p32 = tensor([0, 1, 0, 1], { requiresGrad: true });
    const float32 = bce(p32, tensor([1, 0, 0, 1]), { reduction: "none" });
    expect(Array.from(float32.data).every(Number.isFinite)).toBe(true);
    expect(float32.data[0]).toBeGreaterThan(15);
    float32.sum().backward();
    // NOTE: the clamp bites at exactly 0 and 1, so the gradient there is 0 (not NaN)
    expect(Array.from(p32.grad!.data, Math.abs)).toEqual([0, 0, 0, 0]);
  });
});

describe("bce: bad input", () => {
  it("refuses probabilities outside [0, 1], as PyTorch does; a NaN gives a NaN loss", () => {
    const t = tensor([1, 0, 1], f64);
    expect(() => bce(tensor([0.5, 1.5, 0.2], f64), t)).toThrow(
      "bce: probabilities must be in [0, 1]; got 1.5 at position 1 (for scores or logits use " +
        "bceWithLogits)");
    expect(() => bce(tensor([0.5, -0.25, 0.2], f64), t)).toThrow("got -0.25 at position 1");
    expect(() => bce(tensor([Infinity, 0.5, 0.5], f64), t)).toThrow("got Infinity at position 0");
    expect(bce(tensor([NaN, 0.5, 0.5], f64), t).item()).toBeNaN();
  });

  it("gives NaN, never a clamped value, where a compiled step replays a p outside [0, 1]", () => {
    const w = tensor([1], { requiresGrad: true });
    const step = compileStep((x: Tensor) => bce(mul(x, w), tensor([1])), [w]);
    expect(step(tensor([0.5])).item()).toBeCloseTo(Math.log(2), 6); // traced
    expect(step(tensor([0.25])).item()).toBeCloseTo(-Math.log(0.25), 6); // replayed
    expect(step(tensor([1.5])).item()).toBeNaN(); // eager bce would refuse it
    expect(step(tensor([-0.5])).item()).toBeNaN();
  });

  it("refuses unknown option keys and a bad eps", () => {
    const [p, t] = [tensor([0.5], f64), tensor([1], f64)];
    expect(() => bce(p, t, { epps: 0.1 } as never)).toThrow(
      'bce: unknown option "epps"; did you mean "eps"?');
    expect(() => bce(p, t, { eps: 0.5 })).toThrow("bce: eps must be a number in (0, 0.5); got 0.5");
    expect(() => bce(p, t, { eps: 0 })).toThrow("bce: eps must be a number in (0, 0.5); got 0");
    expect(() => bce(p, t, { eps: -1 })).toThrow("got -1");
    expect(() => mse(p, t, { reductoin: "sum" } as never)).toThrow(
      'mse: unknown option "reductoin"; did you mean "reduction"?');
    expect(() => bceWithLogits(p, t, { eps: 1 } as never)).toThrow(
      'bceWithLogits: unknown option "eps"');
    expect(() => crossEntropy(tensor([[1, 2]], f64), [0], { smoothing: 0.1 } as never))
      .toThrow('crossEntropy: unknown option "smoothing"');
  });
});

describe("bceWithLogits", () => {
  // softplus(z) − t·z in float64, written without overflow
  const exact = (z: number, t: number): number =>
    Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z;

  it("equals softplus(z) − t·z under every reduction, and bce(sigmoid(z))", () => {
    const zs = [[-2, 0, 3], [0.5, -1, 4]];
    const ts = [[0, 1, 0.25], [1, 1, 0]];
    const z = tensor(zs, f64);
    const t = tensor(ts, f64);
    const perElement = zs.flat().map((v, i) => exact(v, ts.flat()[i]));
    expect(perElement[1]).toBeCloseTo(Math.LN2, 15);
    checkReductions((reduction) => bceWithLogits(z, t, { reduction }), perElement, [2, 3]);
    expect(bceWithLogits(z, t).item()).toBeCloseTo(bce(sigmoid(z), t).item(), 12);
  });

  it("is finite and exact at logits ±20 and ±1000 in float32", () => {
    const zs = [1000, -1000, 1000, -1000, 20, -20, 20, -20];
    const ts = [0, 1, 1, 0, 1, 0, 0, 1];
    const out = bceWithLogits(tensor(zs), tensor(ts), { reduction: "none" });
    expect(out.dtype).toBe("float32");
    // exact: 1000, 1000, ≈0, ≈0, log1p(e^−20) ≈ 2.06e−9, the same, ≈20, ≈20
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    zs.forEach((z, i) => {
      const e = exact(z, ts[i]);
      expect(Math.abs(out.data[i] - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
    });
    expect(out.data[0]).toBe(1000);
  });

  it("has gradient (sigmoid(z) − t) scaled by the reduction", () => {
    const zs = [[1000, -20, 0.5], [-1000, 2, -0.25]];
    const ts = [[0, 1, 0.5], [1, 0, 1]];
    const expected = zs.flat().map((z, i) => 1 / (1 + Math.exp(-z)) - ts.flat()[i]);
    const scales: Array<[Reduction, number]> = [["sum", 1], ["mean", 1 / 6], ["batchMean", 1 / 2]];
    for (const [reduction, scale] of scales) {
      const z = tensor(zs, { dtype: "float64", requiresGrad: true });
      bceWithLogits(z, tensor(ts, f64), { reduction }).backward();
      expectClose(z.grad!.data, expected.map((g) => g * scale), 1e-15);
    }
    const z = tensor(zs, { dtype: "float64", requiresGrad: true });
    const weights = tensor([[1, 2, 3], [4, 5, 6]], f64);
    bceWithLogits(z, tensor(ts, f64), { reduction: "none" }).backward(weights);
    expectClose(z.grad!.data, expected.map((g, i) => g * (i + 1)), 1e-14);
    const z32 = tensor(zs, { requiresGrad: true });
    bceWithLogits(z32, tensor(ts)).backward();
    expect(Array.from(z32.grad!.data).every(Number.isFinite)).toBe(true);
  });
});

describe("crossEntropy", () => {
  const logits = tensor([[1, 2, 3], [1, 1, 1]], f64);
  // row 0, label 2: ln(e + e² + e³) − 3; row 1, label 0: ln 3
  const perRow = [Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, Math.log(3)];

  it("matches −log softmax at the label under every reduction", () => {
    expectClose(crossEntropy(logits, [2, 0], { reduction: "none" }).data, perRow);
    const total = perRow[0] + perRow[1];
    expect(crossEntropy(logits, [2, 0], { reduction: "sum" }).item()).toBeCloseTo(total, 14);
    expect(crossEntropy(logits, [2, 0]).item()).toBeCloseTo(total / 2, 14);
    // per-row losses: "batchMean" (sum / batch) equals "mean" over the batch
    const batchMean = crossEntropy(logits, [2, 0], { reduction: "batchMean" });
    expect(batchMean.item()).toBeCloseTo(total / 2, 14);
  });

  it("gives the same loss for integer labels and one-hot targets", () => {
    const oneHot = tensor([[0, 0, 1], [1, 0, 0]], f64);
    const fromOneHot = crossEntropy(logits, oneHot, { reduction: "none" });
    for (const labels of [[2, 0], new Int32Array([2, 0]), tensor([2, 0])]) {
      const fromLabels = crossEntropy(logits, labels, { reduction: "none" });
      expect(Array.from(fromLabels.data)).toEqual(Array.from(fromOneHot.data));
    }
    const softTarget = tensor([[0, 0.5, 0.5], [1, 0, 0]], f64);
    const soft = crossEntropy(logits, softTarget, { reduction: "none" });
    expect(soft.data[0]).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 2.5, 14);
  });

  it("reports shape and label errors", () => {
    expect(() => crossEntropy(tensor([1, 2, 3]), [0])).toThrow(
      /crossEntropy: logits must be \[batch, classes, \.\.\.\]; got \[3\]/,
    );
    expect(() => crossEntropy(logits, [0, 1, 2])).toThrow(
      /crossEntropy: 3 labels for a batch of 2/,
    );
    expect(() => crossEntropy(logits, [3, 0])).toThrow(
      /index 3 at position 0 is out of range \[0, 3\)/,
    );
    expect(() => crossEntropy(logits, tensor([[0, 1, 0, 0], [1, 0, 0, 0]], f64))).toThrow(
      /crossEntropy: input is \[2, 3\] but target is \[2, 4\]/,
    );
  });
});

describe("loss validation", () => {
  it("rejects mismatched shapes instead of broadcasting", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(() => mse(a, b)).toThrow(
      /mse: input is \[2, 3\] but target is \[3, 2\]; they must match/,
    );
    expect(() => bce(a, tensor([1, 2, 3]))).toThrow(/bce: input is \[2, 3\] but target is \[3\]/);
    expect(() => bceWithLogits(a, tensor([[[1, 2, 3], [4, 5, 6]]]))).toThrow(
      /bceWithLogits: input is \[2, 3\] but target is \[1, 2, 3\]/,
    );
  });

  it("rejects an unknown reduction and non-tensors", () => {
    const a = tensor([1, 2]);
    expect(() => mse(a, a, { reduction: "avg" as Reduction })).toThrow(
      /mse: reduction must be "mean", "sum", "none" or "batchMean"; got "avg"/,
    );
    expect(() => mse(a, [1, 2] as unknown as Tensor)).toThrow(
      /mse: input and target must be Tensors/,
    );
  });

  it("says a fractional or NaN class label is not an integer (not that it is out of range)", () => {
    const logits = tensor([[1, 2, 3], [0, 1, 0]]);
    const loss = (y: number[] | Tensor) => () => crossEntropy(logits, y);
    expect(loss([0.5, 1])).toThrow(/index 0\.5 at position 0 is not an integer/);
    expect(loss([1, Number.NaN])).toThrow(/NaN at position 1 is not an integer/);
    expect(loss(tensor([0.5, 1]))).toThrow(/0\.5 at position 0 is not an integer/);
    expect(loss([1, 3])).toThrow(/index 3 at position 1 is out of range \[0, 3\)/);
  });

  it("treats a rank-0 loss as a batch of one for batchMean", () => {
    expect(mse(tensor(3, f64), tensor(1, f64), { reduction: "batchMean" }).item()).toBe(4);
  });
});

describe("crossEntropy over [batch, classes, ...], label smoothing (PyTorch's values)", () => {
  const wave = (shape: number[], a: number, b: number, scale = 1) => {
    const n = shape.reduce((p, d) => p * d, 1);
    return tensor(Array.from({ length: n }, (_, i) => scale * Math.sin(a * i + b)), f64)
      .reshape(shape);
  };
  it("class indices [2, 2, 3] for logits [2, 4, 2, 3], smoothing 0.1", () => {
    const c = torchCases.crossEntropySpatialSmoothed;
    const logits = wave([2, 4, 2, 3], 1.1, 0.2, 3).requireGrad();
    const labels = tensor([...c.target]).reshape([2, 2, 3]);
    const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
    expect(loss.item()).toBeCloseTo(c.out[0], 13);
    loss.backward();
    expectClose(logits.grad!.data, [...c.dx], 1e-12);
  });
  it("probability targets [3, 5], smoothing 0.25", () => {
    const c = torchCases.crossEntropyProbsSmoothed;
    const logits = wave([3, 5], 0.9, 0.1, 2).requireGrad();
    const probs = tensor([...c.target], f64).reshape([3, 5]);
    const loss = crossEntropy(logits, probs, { labelSmoothing: 0.25 });
    expect(loss.item()).toBeCloseTo(c.out[0], 13);
    loss.backward();
    expectClose(logits.grad!.data, [...c.dx], 1e-12);
  });
  it("checks the index shape and the smoothing", () => {
    const logits = tensor(new Array(24).fill(0), f64).reshape([2, 4, 3]);
    expect(() => crossEntropy(logits, tensor([0, 1]))).toThrow(
      "crossEntropy: class indices must be [2, 3] for logits [2, 4, 3]; got [2]");
    expect(() => crossEntropy(logits, [0, 1])).toThrow(/label arrays need logits/);
    expect(() => crossEntropy(logits, tensor([[0, 1, 4], [0, 0, 0]]))).toThrow(
      "classProbabilities: index 4 at position 2 is not an integer in [0, 4)");
    expect(() => crossEntropy(logits.reshape([2, 12]), [0, 1], { labelSmoothing: -1 })).toThrow(
      "crossEntropy: labelSmoothing must be in [0, 1]; got -1");
  });
});
