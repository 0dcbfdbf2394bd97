// Broadcasting arithmetic: add sub mul div pow maximum minimum, each with its vjp.
import { record } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { sumToShape } from "./broadcast.js";
import { type TensorLike, checkTensor, operands } from "./convert.js";
import { constantTensor, mapData, zipData } from "./forward.js";
import { equal, greaterEqual, where } from "./compare.js";
import { log } from "./unary.js";

/** a + b with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("add", a, b);
  const { data, shape } = zipData("add", "add", x, y);
  return record("add", [x, y], data, shape, (dy) => [
    x.requiresGrad ? sumToShape(dy, x.shape) : null,
    y.requiresGrad ? sumToShape(dy, y.shape) : null,
  ]);
}

/** a − b with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("sub", a, b);
  const { data, shape } = zipData("sub", "sub", x, y);
  return record("sub", [x, y], data, shape, (dy) => [
    x.requiresGrad ? sumToShape(dy, x.shape) : null,
    y.requiresGrad ? sumToShape(neg(dy), y.shape) : null,
  ]);
}

/** a · b elementwise with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("mul", a, b);
  const { data, shape } = zipData("mul", "mul", x, y);
  return record("mul", [x, y], data, shape, (dy) => [
    x.requiresGrad ? sumToShape(mul(dy, y), x.shape) : null,
    y.requiresGrad ? sumToShape(mul(dy, x), y.shape) : null,
  ]);
}

/** a / b elementwise with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("div", a, b);
  const { data, shape } = zipData("div", "div", x, y);
  // d(x/y)/dx = 1/y; d(x/y)/dy = −x/y²
  return record("div", [x, y], data, shape, (dy) => [
    x.requiresGrad ? sumToShape(div(dy, y), x.shape) : null,
    y.requiresGrad ? sumToShape(neg(div(mul(dy, x), mul(y, y))), y.shape) : null,
  ]);
}

/** −x. */
export function neg(x: Tensor): Tensor {
  checkTensor("neg", "x", x);
  const { data, shape } = mapData("neg", x);
  return record("neg", [x], data, shape, (dy) => [neg(dy)]);
}

/**
 * a ** b with broadcasting, as C's pow (1 ** b = 1 for any b, also NaN). A number exponent
 * uses a faster path. b's gradient a^b · ln a is NaN for a < 0, and 0 where a = 0 and b ≥ 0
 * (a^b is constant there); a's gradient is 0 where b = 0 — both as in PyTorch. One difference:
 * PyTorch computes x ** ±0.5 as a square root, so (−0) ** 0.5 is −0 there and +0 here (C's pow),
 * (−0) ** −0.5 is −∞ there and +∞ here, and (−∞) ** 0.5 NaN there and +∞ here.
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && typeof a !== "number") return powScalar(a, b);
  const [x, y] = operands("pow", a, b);
  const { data, shape } = zipData("pow", "pow", x, y);
  // NOTE: the masks keep 0 · ∞ = NaN out: b·a^(b−1) at b = 0, a = 0 and a^b·ln a at a = 0.
  // a's is masked after the product with dy, as PyTorch does (dy = ∞ there gives 0, not NaN).
  return record("pow", [x, y], data, shape, (dy) => [
    x.requiresGrad
      ? sumToShape(where(equal(y, 0), 0, mul(dy, mul(y, pow(x, sub(y, 1))))), x.shape) : null,
    y.requiresGrad ? sumToShape(mul(dy, where(mul(equal(x, 0), greaterEqual(y, 0)), 0,
      mul(pow(x, y), log(x)))), y.shape) : null,
  ]);
}

function powScalar(x: Tensor, p: number): Tensor {
  const [base] = operands("pow", x, p);
  const { data, shape } = mapData("powScalar", base, p);
  // d/dx x^p = p · x^(p−1); p = 0 gives 0 everywhere.
  return record("pow", [base], data, shape, (dy) => [
    p === 0 ? mul(dy, 0) : mul(dy, mul(pow(base, p - 1), p)),
  ]);
}

/**
 * Elementwise larger of a and b; NaN if either is. Where they tie, each side gets half the
 * gradient (as in PyTorch), so the gradient stays symmetric; at a NaN both get all of it.
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return extremum("maximum", a, b);
}

/** Elementwise smaller of a and b; NaN if either is; ties split the gradient in half. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return extremum("minimum", a, b);
}

function extremum(op: "maximum" | "minimum", a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(op, a, b);
  const { data, shape } = zipData(op, op, x, y);
  return record(op, [x, y], data, shape, (dy) => {
    // Each side gets the gradient unless the other strictly beats it, half of it on a tie:
    // with a NaN neither beats the other, so both get all of it (as PyTorch).
    const halfTies = mul(constantTensor(zipData(op, "equal", x, y)), 0.5);
    const weight = (beaten: "greater" | "less", a: Tensor, b: Tensor) =>
      sub(1, add(constantTensor(zipData(op, beaten, a, b)), halfTies));
    const beaten = op === "maximum" ? "less" : "greater";
    return [
      x.requiresGrad ? sumToShape(mul(dy, weight(beaten, x, y)), x.shape) : null,
      y.requiresGrad ? sumToShape(mul(dy, weight(beaten, y, x)), y.shape) : null,
    ];
  });
}

/** x² (a primitive: cheaper than pow and exact). */
export function square(x: Tensor): Tensor {
  checkTensor("square", "x", x);
  const { data, shape } = mapData("square", x);
  return record("square", [x], data, shape, (dy) => [mul(dy, mul(x, 2))]);
}
