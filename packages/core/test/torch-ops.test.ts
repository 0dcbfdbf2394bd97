// Every public op of @tapegrad/core against PyTorch 1.13 in float64: values and the gradients of
// sum(output · w), from fixtures/torch-ops.ts (written by fixtures/torch_ops.py), edge values
// included: ±0, ±∞, NaN, ties, kinks, empty axes. Not here: conv1d/conv2d, max/avg pools, batchNorm
// and layerNorm (fixtures/torch-cnn.ts), dropout (random), classProbabilities (no PyTorch op),
// gatherAsync (gather's kernel), astype (a dtype cast).
import { describe, expect, it } from "vitest";
import {
  type Axis, type Tensor, abs, add, argmax, argmin, bceLogits, broadcastTo, clamp, concat, div,
  embedding, equal, exp, expm1, flatten, gather, globalAvgPool2d, greater, greaterEqual, leakyRelu,
  less, lessEqual, linear, log, matmulTransposed, log1p, logSigmoid, logSoftmax, logsumexp, matmul,
  max, maximum, mean, min, minimum, mul, neg, notEqual, oneHot, permute, pow, relu, reshape,
  sigmoid, slice, softmax, softplus, sqrt, square, squeeze, stack, sub, sum, sumToShape, tanh,
  tensor, transpose, unsqueeze, where,
} from "../src/index.js";
import * as core from "../src/index.js";
import * as allOps from "../src/ops/all.js";
import { type TorchCase, torchOpCases } from "./fixtures/torch-ops.js";
import { expectMatches } from "./torch-compare.js";

type Args = Readonly<Record<string, unknown>>;

// |tapegrad − PyTorch| ≤ atol + rtol·|PyTorch|. float32: PyTorch's and tapegrad's kernels may
// round differently (vectorised exp and log); 1e-5 is about 80 float32 ulps.
const FLOAT64 = { atol: 1e-12, rtol: 1e-10 };
const FLOAT32 = { atol: 1e-6, rtol: 1e-5 };
type Run = (inputs: Tensor[], args: Args) => Tensor;

const num = (args: Args, key: string): number => args[key] as number;
const list = (args: Args, key: string): number[] => args[key] as number[];
const axis = (args: Args): Axis | undefined => (args.axis ?? undefined) as Axis | undefined;
const keep = (args: Args): boolean => args.keepdims as boolean;

/** A binary op with tensor operands, or a number for a or b when the case gives one. */
function binary(f: (a: Tensor | number, b: Tensor | number) => Tensor): Run {
  return ([x, y], args) => {
    if ("b" in args) return f(x, num(args, "b"));
    if ("a" in args) return f(num(args, "a"), x);
    return f(x, y);
  };
}

const RUN: Readonly<Record<string, Run>> = {
  exp: ([x]) => exp(x), log: ([x]) => log(x), log1p: ([x]) => log1p(x),
  expm1: ([x]) => expm1(x), sqrt: ([x]) => sqrt(x), abs: ([x]) => abs(x), neg: ([x]) => neg(x),
  sigmoid: ([x]) => sigmoid(x), tanh: ([x]) => tanh(x), relu: ([x]) => relu(x),
  leakyRelu: ([x], a) => leakyRelu(x, "slope" in a ? num(a, "slope") : undefined),
  softplus: ([x]) => softplus(x), logSigmoid: ([x]) => logSigmoid(x),
  square: ([x]) => square(x), clamp: ([x], a) => clamp(x, num(a, "min"), num(a, "max")),
  add: binary(add), sub: binary(sub), mul: binary(mul), div: binary(div), pow: binary(pow),
  maximum: binary(maximum), minimum: binary(minimum),
  greater: binary(greater), greaterEqual: binary(greaterEqual), less: binary(less),
  lessEqual: binary(lessEqual), equal: binary(equal), notEqual: binary(notEqual),
  where: ([c, a, b]) => where(c, a, b),
  sum: ([x], a) => sum(x, axis(a), keep(a)), mean: ([x], a) => mean(x, axis(a), keep(a)),
  max: ([x], a) => max(x, axis(a), keep(a)), min: ([x], a) => min(x, axis(a), keep(a)),
  logsumexp: ([x], a) => logsumexp(x, axis(a), keep(a)),
  argmax: ([x], a) => argmax(x, axis(a) as number | undefined, keep(a)),
  argmin: ([x], a) => argmin(x, axis(a) as number | undefined, keep(a)),
  softmax: ([x], a) => softmax(x, num(a, "axis")),
  logSoftmax: ([x], a) => logSoftmax(x, num(a, "axis")),
  matmul: ([a, b]) => matmul(a, b),
  matmulTransposed: ([a, b], args) =>
    matmulTransposed(a, b, args.transA as boolean, args.transB as boolean),
  linear: ([x, w, b], a) => linear(x, w, b ?? null, {
    activation: a.activation as "identity" | "relu" | "leakyRelu",
    ...("slope" in a ? { slope: num(a, "slope") } : {}),
  }),
  reshape: ([x], a) => reshape(x, list(a, "shape")),
  permute: ([x], a) => permute(x, list(a, "perm")),
  transpose: ([x], a) => "axis0" in a
    ? transpose(x, num(a, "axis0"), num(a, "axis1")) : transpose(x),
  squeeze: ([x], a) => squeeze(x, "axis" in a ? num(a, "axis") : undefined),
  unsqueeze: ([x], a) => unsqueeze(x, num(a, "axis")),
  flatten: ([x], a) => flatten(x, num(a, "startDim"), "endDim" in a ? num(a, "endDim") : -1),
  broadcastTo: ([x], a) => broadcastTo(x, list(a, "shape")),
  sumToShape: ([x], a) => sumToShape(x, list(a, "shape")),
  slice: ([x], a) => slice(x, list(a, "starts"), list(a, "ends")),
  gather: ([x, i]) => gather(x, i),
  concat: (xs, a) => concat(xs, num(a, "axis")),
  stack: (xs, a) => stack(xs, num(a, "axis")),
  oneHot: ([i], a) => oneHot(i, num(a, "numClasses"), i.dtype),
  embedding: ([i, table]) => embedding(i, table),
  bceLogits: ([x, t]) => bceLogits(x, t),
  globalAvgPool2d: ([x], a) => globalAvgPool2d(x, "keepdims" in a ? { keepdims: true } : {}),
};

// Public ops compared with PyTorch elsewhere: convolution, pooling and normalization by the
// torch-cnn fixtures (src/ops/conv.test.ts, pool.test.ts, norm.test.ts).
const COMPARED_ELSEWHERE = [
  "conv1d", "conv2d", "maxPool2d", "avgPool2d", "batchNorm", "layerNorm",
];
// Public ops without a PyTorch twin to compare values with.
const NO_TWIN = [
  "dropout", // random: its mask comes from tapegrad's generator
  "astype", // a cast (float32 ↔ float64) whose values are the IEEE rounding itself
  "classProbabilities", // tapegrad's own (class indices → smoothed targets); tested in nn
  "gatherAsync", // gather's kernel, started on a helper thread
];

// Ops whose sign of a zero result PyTorch leaves to its implementation, not compared:
const ZERO_SIGN_UNSETTLED = new Set([
  "relu", // torch.relu(-0) is -0 (clamp_min keeps x); tapegrad gives +0
  "maximum", "minimum", // torch returns the second operand of a ±0 tie, IEEE's maximum +0
  "logSigmoid", // logsigmoid(800) rounds to +0 in torch, −softplus(−800) = −0 here
]);

/** Runs case `c` in `dtype` and compares with PyTorch's results in that dtype. */
function check(c: TorchCase, dtype: "float64" | "float32"): void {
  const single = dtype === "float32";
  const array = (values: readonly number[]) =>
    single ? Float32Array.from(values) : Float64Array.from(values);
  const inputs = c.inputs.map((input) => tensor(array(input.data), [...input.shape], {
    dtype, requiresGrad: input.grad !== undefined,
  }));
  const out = RUN[c.op](inputs, c.args);
  const where = `${c.op}/${c.name} (${dtype})`;
  const tolerance = single ? FLOAT32 : FLOAT64;
  expect(out.dtype, `${where}: dtype`).toBe(dtype);
  expect(out.shape, `${where}: output shape`).toEqual(c.outShape);
  const zeroSign = !ZERO_SIGN_UNSETTLED.has(c.op);
  const reference = single ? c.out32 : c.out;
  if (reference === undefined) throw new Error(`${where}: no reference values`);
  expectMatches(`${where}: output`, out.data, reference, { zeroSign, ...tolerance });
  if (!c.inputs.some((input) => input.grad !== undefined)) return;
  out.backward(tensor(array(c.w), [...c.outShape], { dtype }));
  c.inputs.forEach((input, i) => {
    const wanted = single ? input.grad32 : input.grad;
    if (wanted === undefined) return;
    const grad = inputs[i].grad;
    const values = grad === null ? new Float64Array(input.data.length) : grad.data;
    if (grad !== null) expect(grad.shape, `${where}: gradient ${i} shape`).toEqual(input.shape);
    expectMatches(`${where}: gradient of input ${i}`, values, wanted, {
      zeroSign: false, ...tolerance,
    });
  });
}

describe("core ops against PyTorch 1.13 float64", () => {
  it("has a runner for every op in the fixtures and a case for every runner", () => {
    const ops = new Set(torchOpCases.map((c) => c.op));
    expect([...ops].sort()).toEqual(Object.keys(RUN).sort());
  });

  it("compares every public op here or in the CNN fixtures, or says why not", () => {
    const publicOps = Object.keys(allOps).filter((name) =>
      typeof (allOps as Record<string, unknown>)[name] === "function" && name in core);
    const accounted = new Set([...Object.keys(RUN), ...COMPARED_ELSEWHERE, ...NO_TWIN]);
    expect(publicOps.filter((name) => !accounted.has(name))).toEqual([]);
  });
  for (const c of torchOpCases) {
    it(`${c.op}/${c.name}`, () => check(c, "float64"));
  }
});

// The edge cases again in float32, through the default backend's (WebAssembly) kernels.
describe("core ops against PyTorch 1.13 float32 on edge values", () => {
  for (const c of torchOpCases.filter((c) => c.out32 !== undefined)) {
    it(`${c.op}/${c.name}`, () => check(c, "float32"));
  }
});
