// softmax and logSoftmax, composed from logsumexp so they are stable at any scale.
import type { Tensor } from "../tensor.js";
import { sub } from "./arithmetic.js";
import { checkTensor } from "./convert.js";
import { logsumexp } from "./reduce.js";
import { exp } from "./unary.js";

/** log softmax(x) along `axis` = x − logsumexp(x); finite for inputs near ±1000. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkTensor("logSoftmax", "x", x);
  return sub(x, logsumexp(x, axis, true));
}

/**
 * Normalised exponentials along `axis` (the last by default); each slice sums to 1.
 * @example softmax(tensor([1000, 1000])) // [0.5, 0.5]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkTensor("softmax", "x", x);
  return exp(logSoftmax(x, axis));
}
