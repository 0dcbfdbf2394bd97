// Dense: forward values by hand, gradients, shape and size validation, seeding, bias, dtype.
import { Rng, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";

/** A 2 → 3 layer with W = [[1, 2, 3], [4, 5, 6]] and b = [0.1, 0.2, 0.3]. */
function layer(activation?: "relu" | "sigmoid"): Dense {
  const d = new Dense({ inputSize: 2, outputSize: 3, activation, dtype: "float64" });
  d.weight.data.set([1, 2, 3, 4, 5, 6]);
  d.bias!.data.set([0.1, 0.2, 0.3]);
  return d;
}

const x = tensor([[1, -1], [0.5, 2]], { dtype: "float64" });
// x·W: row 0 = [1 − 4, 2 − 5, 3 − 6] = [−3, −3, −3];
//      row 1 = [0.5 + 8, 1 + 10, 1.5 + 12]
const linear = [-2.9, -2.8, -2.7, 8.6, 11.2, 13.8];

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 14): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe("Dense forward", () => {
  it("computes x·W + b for a 2 → 3 layer", () => {
    const y = layer().forward(x);
    expect([...y.shape]).toEqual([2, 3]);
    expectClose(y.data, linear);
  });

  it("applies the activation after the affine map; linear() stops before it", () => {
    const d = layer("relu");
    expectClose(d.forward(x).data, [0, 0, 0, 8.6, 11.2, 13.8]);
    expectClose(d.linear(x).data, linear);
    expectClose(layer("sigmoid").forward(x).data, linear.map((z) => 1 / (1 + Math.exp(-z))));
  });

  it("backpropagates dW = xᵀ·dy and db = Σ dy over the batch", () => {
    const d = layer();
    sum(d.forward(x)).backward();
    // dy = ones: dW[i][j] = Σ_b x[b][i] = [1.5, 1] per row; db = [2, 2, 2]
    expect(Array.from(d.weight.grad!.data)).toEqual([1.5, 1.5, 1.5, 1, 1, 1]);
    expect(Array.from(d.bias!.grad!.data)).toEqual([2, 2, 2]);
  });

  it("reports a wrong input width with both sizes", () => {
    const d = layer();
    expect(() => d.forward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }))).toThrow(
      /Dense: input must end in 2 features; got \[2, 3\]/,
    );
    expect(() => d.forward(tensor(1, { dtype: "float64" }))).toThrow(/got \[\]/);
  });
});

describe("Dense construction", () => {
  it("validates inputSize and outputSize", () => {
    expect(() => new Dense({ inputSize: 2, outputSize: -3 })).toThrow(
      new RangeError("Dense: outputSize must be a positive integer; got -3"),
    );
    expect(() => new Dense({ inputSize: 0, outputSize: 3 })).toThrow(
      /Dense: inputSize must be a positive integer; got 0/,
    );
    expect(() => new Dense({ inputSize: 1.5, outputSize: 3 })).toThrow(/inputSize .* got 1.5/);
    expect(() => new Dense({ inputSize: NaN, outputSize: 3 })).toThrow(/got NaN/);
  });

  it("draws the same weights from the same seed, different ones otherwise", () => {
    const make = (seed: number) => new Dense({ inputSize: 5, outputSize: 4, seed });
    expect(Array.from(make(3).weight.data)).toEqual(Array.from(make(3).weight.data));
    expect(Array.from(make(3).weight.data)).not.toEqual(Array.from(make(4).weight.data));
    const a = new Rng(9);
    const b = new Rng(9);
    const first = new Dense({ inputSize: 5, outputSize: 4, rng: a });
    const second = new Dense({ inputSize: 5, outputSize: 4, rng: a }); // the stream advanced
    expect(Array.from(new Dense({ inputSize: 5, outputSize: 4, rng: b }).weight.data)).toEqual(
      Array.from(first.weight.data),
    );
    expect(Array.from(second.weight.data)).not.toEqual(Array.from(first.weight.data));
  });

  it("uses glorotUniform weights and zero biases by default", () => {
    const d = new Dense({ inputSize: 30, outputSize: 20, seed: 1 });
    const bound = Math.sqrt(6 / 50);
    expect(Math.max(...Array.from(d.weight.data, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Array.from(d.bias!.data)).toEqual(new Array(20).fill(0));
    expect([...d.weight.shape]).toEqual([30, 20]);
    expect(d.weight.dtype).toBe("float32");
  });

  it("drops the bias with useBias: false", () => {
    const d = new Dense({ inputSize: 2, outputSize: 3, useBias: false, dtype: "float64" });
    d.weight.data.set([1, 2, 3, 4, 5, 6]);
    expect(d.bias).toBeNull();
    expect(d.namedParameters().map(([n]) => n)).toEqual(["weight"]);
    expectClose(d.forward(x).data, [-3, -3, -3, 8.5, 11, 13.5]);
  });

  it("builds float64 parameters and outputs", () => {
    const d = new Dense({ inputSize: 2, outputSize: 3, dtype: "float64", biasInit: "constant" });
    expect(d.weight.dtype).toBe("float64");
    expect(d.bias!.dtype).toBe("float64");
    expect(d.forward(x).dtype).toBe("float64");
  });

  it("passes init and initOptions through", () => {
    const d = new Dense({
      inputSize: 2, outputSize: 2, init: "constant", initOptions: { value: 0.5 },
    });
    expect(Array.from(d.weight.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});
