// gradcheck: compares the tape's gradients with float64 central differences.
import { Rng } from "../random.js";
import { formatShape, stridesOf } from "../shape.js";
import { noGrad } from "../tape.js";
import { Tensor } from "../tensor.js";
import { grad } from "../functional.js";
import { mul, sum } from "../ops/all.js";
import { randn } from "../creation.js";
import { checkOptions } from "../options.js";

/** Options for `gradcheck`. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-8). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-6). */
  readonly rtol?: number;
  /** Seed of the random cotangent and directions (default 0). */
  readonly seed?: number;
  /**
   * "full" checks every element (2 evaluations each); "directional" checks `directions`
   * random directions (2 evaluations each), for inputs too large to check element-wise.
   */
  readonly mode?: "full" | "directional";
  /** Number of random directions in directional mode (default 4). */
  readonly directions?: number;
}

/** What a passing gradcheck measured. */
export interface GradcheckReport {
  readonly ok: true;
  readonly mode: "full" | "directional";
  /** Number of comparisons made (elements, or directions). */
  readonly checked: number;
  readonly maxAbsError: number;
  readonly maxRelError: number;
}

/** A gradcheck failure: which input and element, and both values. */
export class GradcheckError extends Error {
  override name = "GradcheckError";
}

/**
 * Checks the gradients of `f` at `inputs` (float64 tensors) against central differences.
 * f may return any shape: its output is weighted by a fixed random, non-uniform cotangent
 * w, so the check compares ∇⟨w, f(x)⟩, which catches errors a plain sum would hide. The
 * numeric side is Σⱼ wⱼ (f(x + eps)ⱼ − f(x − eps)ⱼ) / 2eps, each output differenced first, so
 * large outputs an element does not reach add no rounding to its check.
 * Throws a GradcheckError naming the input, the element and both values; returns a report.
 * @example gradcheck((a, b) => a.matmul(b).sigmoid(), [a64, b64]);
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const { eps = 1e-6, atol = 1e-8, rtol = 1e-6, seed = 0, mode = "full", directions = 4 } =
    checkOptions("gradcheck", options, ["eps", "atol", "rtol", "seed", "mode", "directions"]);
  if (mode !== "full" && mode !== "directional") {
    throw new RangeError(`gradcheck: mode must be "full" or "directional"; got ${String(mode)}`);
  }
  if (!Number.isInteger(directions) || directions < 1) {
    throw new RangeError(`gradcheck: directions must be a positive integer; got ${directions}`);
  }
  for (const [name, value] of [["eps", eps], ["atol", atol], ["rtol", rtol]] as const) {
    if (typeof value !== "number" || !(value >= 0) || (name === "eps" && value === 0)) {
      throw new RangeError(`gradcheck: ${name} must be a ${name === "eps" ? "positive" :
        "non-negative"} number; got ${String(value)}`);
    }
  }
  if (!Array.isArray(inputs)) {
    const got = inputs instanceof Tensor ? "a Tensor" : typeof inputs;
    throw new TypeError(`gradcheck: inputs must be an array of tensors, e.g. [x]; got ${got}`);
  }
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`gradcheck: inputs[${i}] is not a Tensor`);
    if (x.dtype !== "float64") {
      throw new TypeError(
        `gradcheck: inputs[${i}] is ${x.dtype}; finite differences need float64 ` +
          `(create it with { dtype: "float64" } or call .astype("float64"))`,
      );
    }
  });
  const rng = new Rng(seed);
  const probe: unknown = noGrad(() => f(...inputs));
  if (!(probe instanceof Tensor)) {
    const got = typeof probe === "number" ? `the number ${probe}` : typeof probe;
    throw new TypeError(`gradcheck: f must return a Tensor; got ${got}`);
  }
  const weights = randn(probe.shape, { dtype: "float64", rng });
  const scalar = (...xs: Tensor[]) => sum(mul(f(...xs), weights));
  // The numeric side differences f's outputs before weighting them: subtracting two totals of
  // every output would add their rounding (≈ ulp of the total / eps) to every element's check.
  // They are copied: f may return its input itself (or a view of it), which the next step moves.
  const outputs = (xs: Tensor[]): Float64Array => {
    const out = noGrad(() => f(...xs));
    if (out.size !== weights.size) {
      throw new RangeError(`gradcheck: f gave ${formatShape(out.shape)} at a shifted input but ` +
        `${formatShape(weights.shape)} at the given one; its output shape must not change`);
    }
    return Float64Array.from(out.data);
  };
  const copies = inputs.map((x) => new Tensor(x.data.slice(), x.shape));
  const argnums = inputs.map((_, i) => i);
  const analytic = grad(scalar, argnums)(...copies);
  const tracker = new ErrorTracker(atol, rtol);
  if (mode === "directional") {
    for (let d = 0; d < directions; d++) {
      const v = copies.map((x) => randn(x.shape, { dtype: "float64", rng }));
      const numeric = directional(outputs, weights.data, copies, v, eps);
      const exact = analytic.reduce((s, g, i) => s + dot(g.data, v[i].data), 0);
      if (!tracker.accept(exact, numeric)) {
        throw new GradcheckError(
          `gradcheck: directional derivative ${d} disagrees: tape ${exact}, numeric ${numeric}` +
            ` (atol ${atol}, rtol ${rtol})`,
        );
      }
    }
    return tracker.report("directional", directions);
  }
  let checked = 0;
  copies.forEach((x, i) => {
    const g = analytic[i].data;
    for (let e = 0; e < x.size; e++) {
      const saved = x.data[e];
      x.data[e] = saved + eps;
      const plus = outputs(copies);
      x.data[e] = saved - eps;
      const minus = outputs(copies);
      x.data[e] = saved;
      const numeric = weightedDifference(plus, minus, weights.data) / (2 * eps);
      checked++;
      if (!tracker.accept(g[e], numeric)) {
        throw new GradcheckError(
          `gradcheck: inputs[${i}] ${formatShape(x.shape)} at index ` +
            `${formatShape(unravel(e, x.shape))}: tape ${g[e]}, numeric ${numeric}, ` +
            `|diff| ${Math.abs(g[e] - numeric)} (atol ${atol}, rtol ${rtol})`,
        );
      }
    }
  });
  return tracker.report("full", checked);
}

class ErrorTracker {
  maxAbs = 0;
  maxRel = 0;
  constructor(readonly atol: number, readonly rtol: number) {}
  accept(exact: number, numeric: number): boolean {
    const diff = Math.abs(exact - numeric);
    this.maxAbs = Math.max(this.maxAbs, diff);
    this.maxRel = Math.max(this.maxRel, diff / Math.max(Math.abs(numeric), 1e-300));
    return diff <= this.atol + this.rtol * Math.abs(numeric);
  }
  report(mode: "full" | "directional", checked: number): GradcheckReport {
    return { ok: true, mode, checked, maxAbsError: this.maxAbs, maxRelError: this.maxRel };
  }
}

function directional(
  outputs: (xs: Tensor[]) => ArrayLike<number>, weights: ArrayLike<number>,
  xs: Tensor[], v: Tensor[], eps: number,
): number {
  const shifted = (sign: number) =>
    xs.map((x, i) => new Tensor(
      x.data.map((value, e) => value + sign * eps * v[i].data[e]),
      x.shape,
    ));
  return weightedDifference(outputs(shifted(1)), outputs(shifted(-1)), weights) / (2 * eps);
}

/** Σ w_j (plus_j − minus_j): outputs an input does not reach contribute exactly 0. */
function weightedDifference(
  plus: ArrayLike<number>, minus: ArrayLike<number>, weights: ArrayLike<number>,
): number {
  let s = 0;
  for (let j = 0; j < weights.length; j++) s += weights[j] * (plus[j] - minus[j]);
  return s;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((stride, d) => Math.floor(flat / stride) % shape[d]);
}
