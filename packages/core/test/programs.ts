// Random programs of ops for the replay property suite: a generator of small programs (a chain of
// steps over a [batch, hidden] value) and an interpreter that runs one as a loss function.
import fc from "fast-check";
import {
  type DType, Rng, Tensor, abs, add, bceLogits, clamp, concat, div, exp, expm1, gather, greater,
  leakyRelu, linear, log, log1p, logSigmoid, logSoftmax, logsumexp, matmul, max, maximum, mean,
  min, minimum, mul, neg, oneHot, pow, relu, sigmoid, slice, softmax, softplus, sqrt, square, sub,
  sum, tanh, transpose, where,
} from "../src/index.js";

export const UNARY = [
  "relu", "leakyRelu", "sigmoid", "tanh", "softplus", "abs", "neg", "square", "exp", "log",
  "sqrt", "logSigmoid", "clamp", "pow2", "pow3", "powHalf", "log1p", "expm1",
] as const;
export const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"] as const;
/** What a binary step combines h with. */
export const OPERANDS = ["bias", "column", "scalar", "self", "gathered", "row"] as const;
export const CENTERS = ["max", "min", "mean", "sum", "logsumexp"] as const;
export const ACTIVATIONS = ["identity", "relu", "leakyRelu"] as const;

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
  | { readonly kind: "split" };

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
  readonly loss: "weighted" | "bce" | "crossEntropy" | "mean";
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
      "mean" as const),
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
  readonly params: { w: Tensor; b: Tensor; m: Tensor; table: Tensor; bias: Tensor };
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
      bias: leaf([h, 1]),
    },
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
      }
    }
    const loss = p.loss === "weighted" ? sum(mul(h, world.weights))
      : p.loss === "bce" ? mean(bceLogits(h, y))
      : p.loss === "mean" ? mean(h)
      : neg(sum(mul(oneHot(labels, p.hidden, p.dtype), logSoftmax(h, 1))));
    return p.aux ? [loss, h] : loss;
  };
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
  const fns = { add, sub, mul, div, maximum, minimum };
  return fns[op](a, b);
}
