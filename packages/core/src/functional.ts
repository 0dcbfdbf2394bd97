// Functional transforms: grad, valueAndGrad and hvp, composable to any order.
import { ShapeError, formatShape, shapesEqual } from "./shape.js";
import { isGradEnabled, propagate, record, withGradMode } from "./tape.js";
import { Tensor } from "./tensor.js";
import { zerosLike } from "./creation.js";
import { cotangentFor } from "./ops/convert.js";
import { mul, sum } from "./ops/all.js";

/** Which positional arguments to differentiate: one index or several. */
export type ArgNums = number | readonly number[];

/** A differentiable function of tensors returning a scalar tensor. */
export type ScalarFn = (...args: Tensor[]) => Tensor;

/**
 * A fresh tape entry standing for `x` inside f. When an outer transform is tracking x, the
 * entry is an identity op, so inner gradients stay connected to the outer tape.
 */
function track(x: Tensor, connected: boolean): Tensor {
  if (connected) {
    return record("identity", [x], x.data, x.shape, (dy) => [dy]);
  }
  const leaf = x.detach();
  leaf.requiresGrad = true;
  return leaf;
}

function checkArgs(op: string, args: readonly unknown[], argnums: readonly number[]): void {
  args.forEach((a, i) => {
    if (!(a instanceof Tensor)) throw new TypeError(`${op}: argument ${i} must be a Tensor`);
  });
  for (const i of argnums) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) {
      throw new RangeError(`${op}: argnums ${i} is out of range for ${args.length} arguments`);
    }
  }
}

/**
 * Checks a transform's arguments when it is made (not first called): f is a function and
 * argnums an index or an array of indices — not an options record, which has no keys here.
 */
function checkTransform(op: string, f: unknown, argnums: unknown): readonly number[] {
  if (typeof f !== "function") throw new TypeError(`${op}: f must be a function; got ${typeof f}`);
  const list = typeof argnums === "number" ? [argnums] : argnums;
  if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && i >= 0)) {
    const got = Array.isArray(argnums) ? `[${argnums.map(String).join(", ")}]`
      : typeof argnums === "object" && argnums !== null ? "an object" : String(argnums);
    throw new TypeError(
      `${op}: argnums must be an argument index or an array of them, as in ${op}(f, [0, 1]); ` +
        `got ${got}`,
    );
  }
  return list;
}

// How many transforms are evaluating f right now. Only inside another transform can an
// argument be tracked from outside; a top-level call never records its backward pass.
let depth = 0;

function evaluate(op: string, f: ScalarFn, args: Tensor[], argnums: readonly number[]) {
  checkArgs(op, args, argnums);
  const outerTracking = depth > 0 && isGradEnabled() && argnums.some((i) => args[i].requiresGrad);
  const inputs = args.map((a, i) => (argnums.includes(i) ? track(a, outerTracking) : a));
  depth++;
  let value: Tensor;
  try {
    value = withGradMode(true, () => f(...inputs));
  } finally {
    depth--;
  }
  if (!(value instanceof Tensor) || value.size !== 1) {
    const shape = value instanceof Tensor ? formatShape(value.shape) : typeof value;
    throw new ShapeError(`${op}: f must return a scalar tensor; got ${shape}`);
  }
  const targets = argnums.map((i) => inputs[i]);
  const found = value.requiresGrad
    ? propagate(value, cotangentFor(op, value, undefined), outerTracking, targets, {
      retainGraph: outerTracking, // an outer transform differentiates through this pass again
      caller: op,
    })
    : new Map<Tensor, Tensor>();
  const grads = targets.map((t) => found.get(t) ?? zerosLike(t));
  return { value: outerTracking ? value : value.detach(), grads };
}

/**
 * The gradient of a scalar function: `grad(f)(x)` is df/dx, with the shape of x. It leaves
 * every `.grad` untouched and nests to any order (`grad(grad(f))`).
 * @example grad((x) => x.pow(3).sum())(tensor([2])) // [12]
 */
export function grad(f: ScalarFn, argnums?: number): (...args: Tensor[]) => Tensor;
export function grad(f: ScalarFn, argnums: readonly number[]): (...args: Tensor[]) => Tensor[];
export function grad(f: ScalarFn, argnums: ArgNums = 0) {
  const list = checkTransform("grad", f, argnums);
  return (...args: Tensor[]) => {
    const { grads } = evaluate("grad", f, args, list);
    return typeof argnums === "number" ? grads[0] : grads;
  };
}

/**
 * Like `grad`, but also returns f's value: `{ value, grad }` (grad is an array for several
 * argnums).
 */
export function valueAndGrad(
  f: ScalarFn, argnums?: number,
): (...args: Tensor[]) => { value: Tensor; grad: Tensor };
export function valueAndGrad(
  f: ScalarFn, argnums: readonly number[],
): (...args: Tensor[]) => { value: Tensor; grad: Tensor[] };
export function valueAndGrad(f: ScalarFn, argnums: ArgNums = 0) {
  const list = checkTransform("valueAndGrad", f, argnums);
  return (...args: Tensor[]) => {
    const { value, grads } = evaluate("valueAndGrad", f, args, list);
    return { value, grad: typeof argnums === "number" ? grads[0] : grads };
  };
}

/**
 * Hessian-vector product H(x)·v of a scalar f, without forming H: the gradient of
 * ⟨∇f(x), v⟩. `v` has the shape of x.
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  if (!(x instanceof Tensor)) {
    const got = Array.isArray(x) ? "an array (wrap it with tensor())" : typeof x;
    throw new TypeError(`hvp: x must be a Tensor; got ${got}`);
  }
  if (!(v instanceof Tensor) || !shapesEqual(v.shape, x.shape)) {
    const got = v instanceof Tensor ? formatShape(v.shape) : typeof v;
    throw new ShapeError(`hvp: v must have the shape of x ${formatShape(x.shape)}; got ${got}`);
  }
  return grad((y: Tensor) => sum(mul(grad(f)(y), v.detach())))(x);
}
