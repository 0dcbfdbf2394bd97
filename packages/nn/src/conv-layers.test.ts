// Conv2d, Conv1d and the pooling and flatten layers: values by hand, shapes, initial weights,
// activations and the errors of their options.
import { Rng, Tensor, conv2d, randn, relu, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { AvgPool2d } from "./avg-pool2d.js";
import { Conv1d } from "./conv1d.js";
import { Conv2d } from "./conv2d.js";
import { Flatten } from "./flatten.js";
import { GlobalAvgPool2d } from "./global-avg-pool2d.js";
import { MaxPool2d } from "./max-pool2d.js";
import { Sequential } from "./sequential.js";

const values = (t: Tensor) => Array.from(t.data);

describe("Conv2d", () => {
  it("convolves with PyTorch's weight layout: a 2×2 kernel over a 3×3 image by hand", () => {
    const conv = new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 2 });
    expect(conv.weight.shape).toEqual([2, 1, 2, 2]);
    conv.weight.data.set([1, 0, 0, 1, /* second filter */ 0, 1, -1, 0]);
    conv.bias!.data.set([0.5, -1]);
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const y = conv.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 2]);
    // Filter 1: x[i][j] + x[i+1][j+1] + 0.5; filter 2: x[i][j+1] − x[i+1][j] − 1.
    expect(values(y)).toEqual([6.5, 8.5, 12.5, 14.5, -3, -3, -3, -3]);
  });

  it("stride, padding, dilation and groups give PyTorch's output shapes", () => {
    const x = randn([2, 4, 9, 7], { seed: 1 });
    const cases: Array<[object, number[]]> = [
      [{ kernelSize: 3 }, [2, 6, 7, 5]],
      [{ kernelSize: 3, padding: 1, stride: 2 }, [2, 6, 5, 4]],
      [{ kernelSize: [3, 1], padding: "same", dilation: 2 }, [2, 6, 9, 7]],
      [{ kernelSize: 2, groups: 2, padding: [1, 0] }, [2, 6, 10, 6]],
      [{ kernelSize: 3, padding: "valid", dilation: [2, 1] }, [2, 6, 5, 5]],
    ];
    for (const [options, shape] of cases) {
      const conv = new Conv2d({ inChannels: 4, outChannels: 6, ...options } as never);
      expect(conv.forward(x).shape, JSON.stringify(options)).toEqual(shape);
    }
    const grouped = new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 2, groups: 2 });
    expect(grouped.weight.shape).toEqual([6, 2, 2, 2]);
  });

  it("fuses relu and applies other activations after; linear() is before them", () => {
    const x = randn([2, 3, 6, 6], { seed: 2 });
    const rng = new Rng(3);
    const plain = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, biasInit: "normal",
      rng: rng.clone() });
    const fused = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, biasInit: "normal",
      activation: "relu", rng: rng.clone() });
    const leaky = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, biasInit: "normal",
      activation: "leakyRelu", alpha: 0.2, rng: rng.clone() });
    const z = plain.forward(x);
    expect(values(fused.forward(x))).toEqual(values(relu(z)));
    expect(values(fused.linear(x))).toEqual(values(z));
    const leakyValues = values(z).map((v) => (v > 0 ? v : Math.fround(0.2 * v)));
    expect(values(leaky.forward(x))).toEqual(leakyValues);
    const model = new Sequential([leaky]);
    expect(model.outputActivation).toBe("leakyRelu");
    expect(values(model.logits(x))).toEqual(values(z));
  });

  it("draws initial weights with fans from the kernel size; bias false drops the bias", () => {
    const conv = new Conv2d({ inChannels: 8, outChannels: 64, kernelSize: 5, groups: 2,
      init: "heNormal", seed: 4, bias: false });
    expect(conv.bias).toBeNull();
    expect(conv.parameters()).toHaveLength(1);
    // He: Var = 2 / fanIn, fanIn = 8/2 · 5 · 5 = 100 (25,600 draws: within 5 %).
    const w = values(conv.weight);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeGreaterThan(0.02 * 0.95);
    expect(variance).toBeLessThan(0.02 * 1.05);
    // Glorot uniform: bound √(6 / (fanIn + fanOut)), fanOut = 64 · 25.
    const glorot = new Conv2d({ inChannels: 8, outChannels: 64, kernelSize: 5, groups: 2 });
    const bound = Math.sqrt(6 / (100 + 1600));
    const g = values(glorot.weight);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(values(glorot.bias!)).toEqual(new Array(64).fill(0));
    // Same seed, same weights; the same as conv2d of those weights.
    const again = new Conv2d({ inChannels: 8, outChannels: 64, kernelSize: 5, groups: 2,
      init: "heNormal", seed: 4, bias: false });
    expect(values(again.weight)).toEqual(w);
    const x = randn([1, 8, 6, 6], { seed: 5 });
    expect(values(conv.forward(x))).toEqual(values(conv2d(x, conv.weight, null, { groups: 2 })));
  });

  it("refuses bad options when made, naming the option and the value", () => {
    const base = { inChannels: 4, outChannels: 6, kernelSize: 3 };
    expect(() => new Conv2d({ ...base, inChannels: 0 }))
      .toThrow("Conv2d: inChannels must be a positive integer; got 0");
    expect(() => new Conv2d({ ...base, groups: 4 }))
      .toThrow("Conv2d: groups 4 must divide inChannels 4 and outChannels 6");
    expect(() => new Conv2d({ ...base, kernelSize: [3, 0] }))
      .toThrow("Conv2d: kernelSize must be a number or [height, width] of positive integers; " +
        "got [3, 0]");
    expect(() => new Conv2d({ ...base, padding: -1 })).toThrow(/padding must be .* got -1/);
    expect(() => new Conv2d({ ...base, padding: "full" as never })).toThrow(/got "full"/);
    expect(() => new Conv2d({ ...base, padding: "same", stride: 2 }))
      .toThrow('Conv2d: padding "same" needs stride 1 (as in PyTorch); got stride 2');
    expect(() => new Conv2d({ ...base, bias: 1 as never }))
      .toThrow("Conv2d: bias must be true or false; got 1");
    expect(() => new Conv2d({ ...base, strides: 2 } as never))
      .toThrow(/Conv2d: unknown option "strides"; did you mean "stride"/);
    const conv = new Conv2d(base);
    expect(() => conv.forward(randn([2, 3, 8, 8], { seed: 1 })))
      .toThrow(/needs in\/groups = 3 \/ 1 = 3 in its second dimension/);
    expect(() => conv.forward([[1]] as never)).toThrow("Conv2d: input must be a Tensor");
  });
});

describe("Conv1d", () => {
  it("convolves [batch, channels, length] by hand, with padding 'same'", () => {
    const conv = new Conv1d({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: "same" });
    expect(conv.weight.shape).toEqual([1, 1, 3]);
    conv.weight.data.set([1, 2, 3]);
    conv.bias!.data.set([10]);
    const y = conv.forward(tensor([[[1, 0, 0, 2]]]));
    // y[i] = x[i−1]·1 + x[i]·2 + x[i+1]·3 + 10, zeros outside.
    expect(values(y)).toEqual([12, 11, 16, 14]);
    const strided = new Conv1d({ inChannels: 3, outChannels: 4, kernelSize: 2, stride: 2,
      dilation: 2, activation: "relu" });
    expect(strided.forward(randn([2, 3, 11], { seed: 1 })).shape).toEqual([2, 4, 5]);
    expect(() => new Conv1d({ inChannels: 3, outChannels: 4, kernelSize: [2, 2] as never }))
      .toThrow("Conv1d: kernelSize must be a positive integer; got [2, 2]");
  });
});

describe("pooling and flatten layers", () => {
  const x = tensor([[[[1, 5, 2, 0], [3, -1, 4, 8], [0, 0, 6, 1], [2, 9, -3, 7]]]]);

  it("MaxPool2d and AvgPool2d take the windows' maximum and mean", () => {
    expect(values(new MaxPool2d({ kernelSize: 2 }).forward(x))).toEqual([5, 8, 9, 7]);
    expect(values(new AvgPool2d({ kernelSize: 2 }).forward(x))).toEqual([2, 3.5, 2.75, 2.75]);
    const overlapping = new MaxPool2d({ kernelSize: 3, stride: 1 });
    expect(values(overlapping.forward(x))).toEqual([6, 8, 9, 9]);
    // Padding counted in the divisor by default (PyTorch's), or not.
    const padded = { kernelSize: 2, stride: 2, padding: 1 };
    expect(values(new AvgPool2d(padded).forward(x)).slice(0, 2)).toEqual([0.25, 1.75]);
    expect(values(new AvgPool2d({ ...padded, countIncludePad: false }).forward(x)).slice(0, 2))
      .toEqual([1, 3.5]);
    expect(new MaxPool2d({ kernelSize: 3, ceilMode: true, stride: 2 }).forward(x).shape)
      .toEqual([1, 1, 2, 2]);
  });

  it("GlobalAvgPool2d averages each plane; Flatten keeps the batch axis", () => {
    const planes = randn([2, 3, 4, 5], { seed: 6 });
    const pooled = new GlobalAvgPool2d().forward(planes);
    expect(pooled.shape).toEqual([2, 3]);
    const first = values(planes).slice(0, 20).reduce((s, v) => s + v, 0) / 20;
    expect(pooled.data[0]).toBeCloseTo(first, 6);
    expect(new Flatten().forward(planes).shape).toEqual([2, 60]);
    expect(new Flatten({ startDim: 2 }).forward(planes).shape).toEqual([2, 3, 20]);
    expect(new Flatten({ startDim: 1, endDim: 2 }).forward(planes).shape).toEqual([2, 12, 5]);
    expect(values(new Flatten().forward(planes))).toEqual(values(planes));
  });

  it("refuse bad options when made", () => {
    expect(() => new MaxPool2d({} as never)).toThrow("MaxPool2d: kernelSize is required");
    expect(() => new MaxPool2d({ kernelSize: 2, stride: 0 }))
      .toThrow("MaxPool2d: stride must be a number or [height, width] of positive integers; " +
        "got 0");
    expect(() => new AvgPool2d({ kernelSize: 2, countIncludePad: "yes" as never }))
      .toThrow('AvgPool2d: countIncludePad must be true or false; got "yes"');
    expect(() => new MaxPool2d({ kernelSize: 2, returnIndices: true } as never))
      .toThrow(/MaxPool2d: unknown option "returnIndices"/);
    expect(() => new Flatten({ startDim: 1.5 }))
      .toThrow("Flatten: startDim must be an integer; got 1.5");
    expect(() => new MaxPool2d({ kernelSize: 2, padding: 2 }).forward(x))
      .toThrow(/padding must be at most half the kernel size/);
  });
});
