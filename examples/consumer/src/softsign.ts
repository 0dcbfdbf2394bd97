// A differentiable op of our own: softsign x / (1 + |x|), with its derivative written by hand.
import { type Tensor, customOp } from "@tapegrad/core";

/**
 * softsign(x) = x / (1 + |x|), elementwise; d/dx = 1 / (1 + |x|)². Forward and VJP are tensor
 * ops, so it works under grad, hvp, detectAnomaly and compileStep (and fit).
 * @example softsign(tensor([-3, 0, 1])) // [-0.75, 0, 0.5]
 */
export const softsign: (x: Tensor) => Tensor = customOp({
  name: "softsign",
  forward: (x) => x.div(x.abs().add(1)),
  vjp: (dy, { inputs: [x] }) => [dy.div(x.abs().add(1).square())],
});

/** The same op with a deliberately wrong VJP (the square is missing), for the gradcheck test. */
export const brokenSoftsign: (x: Tensor) => Tensor = customOp({
  name: "brokenSoftsign",
  forward: (x) => x.div(x.abs().add(1)),
  vjp: (dy, { inputs: [x] }) => [dy.div(x.abs().add(1))],
});
