// Random programs of ops for the replay property suite: a generator of small programs (a chain of
// steps over a [batch, hidden] value) and an interpreter that runs one as a loss function.
import fc from "fast-check";
import {
  type DType, Rng, Tensor, abs, add, avgPool2d, batchNorm, bceLogits, clamp, classProbabilities,
  concat, conv1d, conv2d, div, dropout, embedding, exp, expm1, flatten, gather, greater,
  layerNorm, leakyRelu, linear, log, log1p, logSigmoid, logSoftmax, logsumexp, matmul, max,
  maxPool2d, maximum, mean, min, minimum, mul, neg, oneHot, pow, relu, reshape, sigmoid, slice,
  softmax, softplus, sqrt, square, sub, sum, tanh, transpose, where,
} from "../src/index.js";

export const UNARY = [
  "relu", "leakyRelu", "sigmoid", "tanh", "softplus", "abs", "neg", "square", "exp", "log",
  "sqrt", "logSigmoid", "clamp", "pow2", "pow3", "powHalf", "log1p", "expm1",
] as const;
export const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow"] as const;
/** What a binary step combines h with. */
export const OPERANDS = ["bias", "column", "scalar", "self", "gathered", "row"] as const;
export const CENTERS = ["max", "min", "mean", "sum", "logsumexp"] as const;
export const ACTIVATIONS = ["identity", "relu", "leakyRelu"] as const;
/** Convolutional-network steps, each on h viewed as images and back to [batch, hidden]. */
export const CNN = [
  "conv1d", "conv2d", "depthwise", "maxPool", "avgPool", "layerNorm", "batchNorm", "embedding",
  "dropoutMask",
] as const;

/** One step of a program: h ([batch, hidden]) → h of the same shape. */
export type Step =
  | { readonly kind: "unary"; readonly op: (typeof UNARY)[number] }
  | {
    readonly kind: "binary"; readonly op: (typeof BINARY)[number];
    readonly operand: (typeof OPERANDS)[number]; readonly swap: boolean;
  }
  | { readonly kind: "center"; readonly op: (typeof CENTERS)[number]; readonly axis: number }
  | { readonly kind: "softmax"; readonly log: boolean; readonly axis: number }
  | { readonly kind: "linear"; readonly activation: (typeof ACTIVATIONS)[number] }
  | { readonly kind: "matmul" }
  | { readonly kind: "where" }
  | { readonly kind: "transpose" }
  | { readonly kind: "split" }
  | { readonly kind: "cnn"; readonly op: (typeof CNN)[number]; readonly relu: boolean };

/** A program: sizes, dtype, how h starts, its steps and how the loss is taken. */
export interface Program {
  readonly dtype: DType;
  /** The dtype of the index and label tensors: only their values matter. */
  readonly indexDtype: DType;
  readonly batch: number;
  readonly features: number;
  readonly hidden: number;
  readonly tableRows: number;
  readonly start: "matmul" | "linear" | "gathered";
  readonly steps: readonly Step[];
  readonly loss: "weighted" | "bce" | "crossEntropy" | "smoothedCrossEntropy" | "mean";
  /** Return [loss, h] instead of the loss alone. */
  readonly aux: boolean;
}

const axis = fc.constantFrom(0, 1, -1, 2); // 2 stands for both axes
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY) }),
  fc.record({
    kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY),
    operand: fc.constantFrom(...OPERANDS), swap: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("center" as const), op: fc.constantFrom(...CENTERS), axis }),
  fc.record({
    kind: fc.constant("softmax" as const), log: fc.boolean(), axis: fc.constantFrom(0, 1),
  }),
  fc.record({ kind: fc.constant("linear" as const), activation: fc.constantFrom(...ACTIVATIONS) }),
  fc.constant({ kind: "matmul" as const }),
  fc.constant({ kind: "where" as const }),
  fc.constant({ kind: "transpose" as const }),
  fc.constant({ kind: "split" as const }),
  fc.record({ kind: fc.constant("cnn" as const), op: fc.constantFrom(...CNN), relu: fc.boolean() }),
);

/** Random programs of up to `maxSteps` steps. */
export function program(maxSteps = 6): fc.Arbitrary<Program> {
  return fc.record({
    dtype: fc.constantFrom("float32" as const, "float64" as const),
    indexDtype: fc.constantFrom("float32" as const, "float64" as const),
    batch: fc.integer({ min: 1, max: 4 }),
    features: fc.integer({ min: 1, max: 5 }),
    hidden: fc.integer({ min: 1, max: 5 }),
    tableRows: fc.integer({ min: 1, max: 4 }),
    start: fc.constantFrom("matmul" as const, "linear" as const, "gathered" as const),
    steps: fc.array(step, { minLength: 0, maxLength: maxSteps }),
    loss: fc.constantFrom("weighted" as const, "bce" as const, "crossEntropy" as const,
      "smoothedCrossEntropy" as const, "mean" as const),
    aux: fc.boolean(),
  });
}

// Mostly ordinary values, sometimes the ones that break careless kernels and replays.
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e30, 88, -88, 1000];

/** `size` values: uniform in [-2, 2], a `special` share of them from SPECIAL. */
export function values(rng: Rng, size: number, special: number): number[] {
  return Array.from({ length: size }, () =>
    rng.uniform(0, 1) < special ? SPECIAL[rng.int(SPECIAL.length)] : rng.uniform(-2, 2));
}

/** The parameters a program trains and the constants it closes over. */
export interface World {
  readonly params: {
    w: Tensor; b: Tensor; m: Tensor; table: Tensor; bias: Tensor;
    /** Convolution kernels: conv1d [2, 1, 3], conv2d [2, 1, 1, 3] and its bias, depthwise. */
    k1: Tensor; k2: Tensor; b2: Tensor; kd: Tensor;
  };
  /** Batch-norm statistics (constants: eval mode reads them, training does not update them). */
  readonly statistics: readonly [Tensor, Tensor];
  /** Closed-over constants (read by reference, never changed). */
  readonly weights: Tensor;
  readonly rowConstant: Tensor;
}

export function makeWorld(p: Program, rng: Rng): World {
  const { dtype, features: f, hidden: h } = p;
  const leaf = (shape: number[]) =>
    new Tensor(Float64Array.from(values(rng, shape.reduce((a, d) => a * d, 1), 0.02)), shape)
      .astype(dtype).detach().requireGrad();
  return {
    params: {
      w: leaf([f, h]), b: leaf([h]), m: leaf([h, h]), table: leaf([p.tableRows, h]),
      bias: leaf([h, 1]), k1: leaf([2, 1, 3]), k2: leaf([2, 1, 1, 3]), b2: leaf([2]),
      kd: leaf([h, 1, 1, 1]),
    },
    statistics: [
      new Tensor(Float64Array.from(values(rng, h, 0)), [h]).astype(dtype),
      new Tensor(Float64Array.from({ length: h }, () => rng.uniform(0.5, 2)), [h]).astype(dtype),
    ],
    weights: new Tensor(Float64Array.from(values(rng, p.batch * h, 0)), [p.batch, h])
      .astype(dtype),
    rowConstant: new Tensor(Float64Array.from(values(rng, h, 0.1)), [1, h]).astype(dtype),
  };
}

/** Fresh inputs of the program's shapes: x, gather indices, labels and targets. */
export function makeInputs(p: Program, rng: Rng): Tensor[] {
  const { dtype, batch, features, hidden } = p;
  const floats = (data: number[], shape: number[]) =>
    new Tensor(Float64Array.from(data), shape).astype(dtype);
  const ints = (n: number, limit: number) =>
    new Tensor(Float64Array.from({ length: n }, () => rng.int(limit)), [n]).astype(p.indexDtype);
  return [
    floats(values(rng, batch * features, 0.08), [batch, features]),
    ints(batch, p.tableRows),
    ints(batch, hidden),
    floats(Array.from({ length: batch * hidden }, () => rng.uniform(0, 1)), [batch, hidden]),
  ];
}

/** The loss function of a program, over the inputs `makeInputs` makes. */
export function lossFunction(p: Program, world: World) {
  const { w, b, m, table, bias } = world.params;
  const both = [0, 1];
  return (x: Tensor, idx: Tensor, labels: Tensor, y: Tensor): Tensor | [Tensor, Tensor] => {
    const gathered = () => gather(table, idx);
    let h = p.start === "matmul" ? matmul(x, w)
      : p.start === "linear" ? linear(x, w, b, { activation: "leakyRelu", slope: 0.1 })
      : add(matmul(x, w), gathered());
    for (const s of p.steps) {
      switch (s.kind) {
        case "unary": h = applyUnary(s.op, h); break;
        case "binary": {
          const other = s.operand === "bias" ? b
            : s.operand === "column" ? slice(x, [0, 0], [p.batch, 1])
            : s.operand === "scalar" ? 0.75
            : s.operand === "self" ? h
            : s.operand === "gathered" ? gathered() : world.rowConstant;
          h = s.swap ? applyBinary(s.op, other, h) : applyBinary(s.op, h, other);
          break;
        }
        case "center": {
          const axes = s.axis === 2 ? both : s.axis;
          const reducers = { max, min, mean, sum, logsumexp };
          h = sub(h, reducers[s.op](h, axes, true));
          break;
        }
        case "softmax": h = s.log ? logSoftmax(h, s.axis) : softmax(h, s.axis); break;
        case "linear": h = linear(h, m, b, { activation: s.activation, slope: 0.2 }); break;
        case "matmul": h = matmul(h, m); break;
        case "where": h = where(greater(h, gathered()), h, mul(h, 0.1)); break;
        case "transpose": h = transpose(add(transpose(h), bias)); break;
        case "split":
          if (p.hidden > 1) h = concat([slice(h, [0, 1]), slice(h, [0, 0], [p.batch, 1])], 1);
          break;
        case "cnn": h = applyCnn(s.op, s.relu, h, p, world, idx, y); break;
      }
    }
    const loss = p.loss === "weighted" ? sum(mul(h, world.weights))
      : p.loss === "bce" ? mean(bceLogits(h, y))
      : p.loss === "mean" ? mean(h)
      : p.loss === "smoothedCrossEntropy"
      ? neg(sum(mul(classProbabilities(labels, p.hidden, { labelSmoothing: 0.1, dtype: p.dtype }),
        logSoftmax(h, 1))))
      : neg(sum(mul(oneHot(labels, p.hidden, p.dtype), logSoftmax(h, 1))));
    return p.aux ? [loss, h] : loss;
  };
}

/** A convolutional-network op on h [batch, hidden] seen as images, back to [batch, hidden]. */
function applyCnn(
  op: (typeof CNN)[number], withRelu: boolean, h: Tensor, p: Program, world: World, idx: Tensor,
  y: Tensor,
): Tensor {
  const { batch, hidden } = p;
  const { k1, k2, b2, kd, b, table } = world.params;
  const activation = withRelu ? "relu" : "identity";
  const row = reshape(h, [batch, 1, 1, hidden]);
  switch (op) {
    case "conv1d":
      return mean(conv1d(reshape(h, [batch, 1, hidden]), k1, null,
        { padding: "same", activation }), 1);
    case "conv2d":
      return reshape(sum(conv2d(row, k2, b2, { padding: [0, 2], dilation: [1, 2], activation }),
        1), [batch, hidden]);
    case "depthwise":
      return flatten(conv2d(reshape(h, [batch, hidden, 1, 1]), kd, null,
        { groups: hidden, activation }), 1);
    case "maxPool":
      return reshape(maxPool2d(row, { kernelSize: [1, 3], stride: 1, padding: [0, 1] }),
        [batch, hidden]);
    case "avgPool":
      return reshape(avgPool2d(row, { kernelSize: [1, 3], stride: 1, padding: [0, 1],
        countIncludePad: withRelu }), [batch, hidden]);
    case "layerNorm": return layerNorm(h, [hidden], { weight: b, eps: 1e-3 });
    case "batchNorm":
      return batch > 1 && withRelu
        ? batchNorm(h, { weight: b, training: true, eps: 1e-3 })
        : batchNorm(h, { runningMean: world.statistics[0], runningVar: world.statistics[1],
          bias: b, eps: 1e-3 });
    case "embedding": return add(h, embedding(idx, table));
    case "dropoutMask": return dropout(h, 0.25, { mask: greater(y, 0.5) });
  }
}

function applyUnary(op: (typeof UNARY)[number], h: Tensor): Tensor {
  switch (op) {
    case "relu": return relu(h);
    case "leakyRelu": return leakyRelu(h, 0.05);
    case "sigmoid": return sigmoid(h);
    case "tanh": return tanh(h);
    case "softplus": return softplus(h);
    case "abs": return abs(h);
    case "neg": return neg(h);
    case "square": return square(h);
    case "exp": return exp(h);
    case "log": return log(h);
    case "sqrt": return sqrt(h);
    case "logSigmoid": return logSigmoid(h);
    case "clamp": return clamp(h, -0.5, 1.5);
    case "pow2": return pow(h, 2);
    case "pow3": return pow(h, 3);
    case "powHalf": return pow(h, 0.5);
    case "log1p": return log1p(h);
    case "expm1": return expm1(h);
  }
}

function applyBinary(op: (typeof BINARY)[number], a: Tensor | number, b: Tensor | number) {
  const fns = { add, sub, mul, div, maximum, minimum, pow };
  return fns[op](a, b);
}
