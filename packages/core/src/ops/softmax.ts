// softmax and logSoftmax, composed from logsumexp so they are stable at any scale.
import { normalizeAxis } from "../shape.js";
import { noGrad } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { add, mul, sub } from "./arithmetic.js";
import { checkTensor } from "./convert.js";
import { logsumexp, max } from "./reduce.js";
import { exp } from "./unary.js";

/**
 * log softmax(x) along `axis` = x − logsumexp(x); finite for inputs near ±1000. A slice
 * holding NaN or +∞, or only −∞, gives NaN throughout (as PyTorch).
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkTensor("logSoftmax", "x", x);
  normalizeAxis("logSoftmax", axis, x.rank);
  // NOTE: shift by the maximum m (a constant: the result does not depend on it) before
  // logsumexp. x − logsumexp(x) would cancel two numbers of magnitude |x| and lose digits
  // (float32 softmax([1000, 1000]) gave 0.49998); x − m is exact and logsumexp(x − m) ≤ ln n.
  // m + 0·m is m, but NaN where m is ±∞ or NaN: a row holding +∞ (undefined: ∞ − ∞) or only
  // −∞ (no mass) comes out all NaN, as in PyTorch, instead of a row that does not sum to 1.
  const peak = noGrad(() => {
    const m = max(x, axis, true);
    return add(m, mul(m, 0));
  });
  const shifted = sub(x, peak);
  return sub(shifted, logsumexp(shifted, axis, true));
}

/**
 * Normalised exponentials along `axis` (the last by default); each slice sums to 1. A slice
 * holding NaN or +∞, or only −∞, gives NaN throughout (as PyTorch).
 * @example softmax(tensor([1000, 1000])) // [0.5, 0.5]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkTensor("softmax", "x", x);
  normalizeAxis("softmax", axis, x.rank);
  return exp(logSoftmax(x, axis));
}
