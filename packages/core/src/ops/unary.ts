// Elementwise functions and activations, each with its derivative beside it.
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { add, mul, neg, sub, div } from "./arithmetic.js";
import { checkTensor } from "./convert.js";
import { constantTensor, mapData } from "./forward.js";
import { leakyStepMul } from "./step-mul.js";

/** eˣ. */
export function exp(x: Tensor): Tensor {
  checkTensor("exp", "x", x);
  const { data, shape } = mapData("exp", x);
  const y = record("exp", [x], data, shape, (dy) => [mul(dy, y)]); // d eˣ = eˣ
  return y;
}

/** Natural logarithm; log(0) = −Infinity, negative inputs give NaN. */
export function log(x: Tensor): Tensor {
  checkTensor("log", "x", x);
  const { data, shape } = mapData("log", x);
  return record("log", [x], data, shape, (dy) => [div(dy, x)]); // d ln x = 1/x
}

/** ln(1 + x), accurate near 0 where log(1 + x) loses digits; log1p(−1) = −Infinity. */
export function log1p(x: Tensor): Tensor {
  checkTensor("log1p", "x", x);
  const { data, shape } = mapData("log1p", x);
  return record("log1p", [x], data, shape, (dy) => [div(dy, add(x, 1))]); // 1 / (1 + x)
}

/** eˣ − 1, accurate near 0 where exp(x) − 1 loses digits. */
export function expm1(x: Tensor): Tensor {
  checkTensor("expm1", "x", x);
  const { data, shape } = mapData("expm1", x);
  const y = record("expm1", [x], data, shape, (dy) => [mul(dy, add(y, 1))]); // eˣ = y + 1
  return y;
}

/** √x. */
export function sqrt(x: Tensor): Tensor {
  checkTensor("sqrt", "x", x);
  const { data, shape } = mapData("sqrt", x);
  const y = record("sqrt", [x], data, shape, (dy) => [div(dy, mul(y, 2))]); // 1 / (2√x)
  return y;
}

/**
 * |x|. NOTE: the gradient at exactly 0 is taken as 0 (sign(0) = 0), as PyTorch; at NaN it is
 * NaN (PyTorch gives 0 there).
 */
export function abs(x: Tensor): Tensor {
  checkTensor("abs", "x", x);
  const { data, shape } = mapData("abs", x);
  return record("abs", [x], data, shape, (dy) => [mul(dy, constantTensor(mapData("sign", x)))]);
}

/** The logistic function 1 / (1 + e⁻ˣ), computed without overflow for any x. */
export function sigmoid(x: Tensor): Tensor {
  checkTensor("sigmoid", "x", x);
  const { data, shape } = mapData("sigmoid", x);
  const y = record("sigmoid", [x], data, shape, (dy) => [mul(dy, mul(y, sub(1, y)))]); // y(1−y)
  return y;
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  checkTensor("tanh", "x", x);
  const { data, shape } = mapData("tanh", x);
  const y = record("tanh", [x], data, shape, (dy) => [mul(dy, sub(1, mul(y, y)))]); // 1 − y²
  return y;
}

/** max(x, 0). NOTE: relu'(0) is taken as 0. */
export function relu(x: Tensor): Tensor {
  checkTensor("relu", "x", x);
  const { data, shape } = mapData("relu", x);
  // dy where x > 0 or x is NaN (step's mask), else dy·0: one kernel reading x when the
  // dtypes agree, the same bits as multiplying by the mask.
  return record("relu", [x], data, shape, (dy) => [dy.dtype === x.dtype
    ? leakyStepMul(dy, x, 0, true) : mul(dy, constantTensor(mapData("step", x)))]);
}

/**
 * x for x > 0, slope·x otherwise. NOTE: the derivative at exactly 0 is `slope`
 * (0 counts as the negative side, as for relu).
 */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  checkTensor("leakyRelu", "x", x);
  if (typeof slope !== "number" || !Number.isFinite(slope)) {
    throw new RangeError(`leakyRelu: slope must be a finite number; got ${String(slope)}`);
  }
  const { data, shape } = mapData("leakyRelu", x, slope);
  return record("leakyRelu", [x], data, shape, (dy) => [
    mul(dy, constantTensor(mapData("leakyStep", x, slope))),
  ]);
}

/** log(1 + eˣ), stable for large |x|. Its derivative is sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  checkTensor("softplus", "x", x);
  const { data, shape } = mapData("softplus", x);
  return record("softplus", [x], data, shape, (dy) => [mul(dy, sigmoid(x))]);
}

/** log(sigmoid(x)) = −softplus(−x): finite for any x (the naive form gives −Infinity). */
export function logSigmoid(x: Tensor): Tensor {
  checkTensor("logSigmoid", "x", x);
  return neg(softplus(neg(x)));
}

/**
 * Limits x to [min, max]; either bound may be omitted. The gradient passes where
 * min ≤ x ≤ max (bounds included, as in PyTorch) and is 0 outside.
 */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  checkTensor("clamp", "x", x);
  if (Number.isNaN(min) || Number.isNaN(max) ||
    typeof min !== "number" || typeof max !== "number") {
    throw new RangeError(`clamp: bounds must be numbers; got min ${min}, max ${max}`);
  }
  if (min > max) throw new RangeError(`clamp: min must not exceed max; got min ${min}, max ${max}`);
  const { data, shape } = mapData("clamp", x, min, max);
  return record("clamp", [x], data, shape, (dy) => [
    mul(dy, constantTensor(mapData("clampMask", x, min, max))),
  ]);
}
