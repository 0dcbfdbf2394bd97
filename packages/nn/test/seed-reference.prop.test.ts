// The seed's hand-written backprop (test/reference/seed-mlp.ts) against tapegrad's tape.
//
// Properties (fast-check; CI sizes float64 numRuns 80, float32 numRuns 50): depth 1–4 weight
// layers, widths 1–32, batch 1–16, leaky slope in [0.001, 0.3] and learning rate in [0.01, 0.5]
// (both log-uniform, as fc.double spreads over binades), one-hot or multi-label 0/1 targets,
// weights uniform in [−3, 3]/√in, biases in [−0.5, 0.5], inputs in [−1, 1]. Compared: the
// loss (bce on probabilities and the stable bceWithLogits, reduction "batchMean"), dW and db of
// every layer, the loss at each of 5 SGD steps, and the parameters after 1 and after 5 steps.
//
// Tolerance, elementwise: |a − b| ≤ rtol·max(|a|, |b|) + atol.
//   float64 model vs float64 reference:                      rtol 1e-9, atol 1e-14.
//   float32 model vs float64 reference (same float32 start): rtol 1e-4, atol 1e-6.
// Observed in one local run with numRuns 500 per property (1000 cases checked, 453 rejected by
// `wellConditioned`), as the smallest rtol that passes:
//   float64: 5.8e-12 with atol 0 (purely relative), 1.8e-14 with atol 1e-14; the largest
//            absolute difference was 3.1e-13 (on a loss of order 10).
//   float32: 5.2e-7 with atol 1e-6 (8.1e-6 with atol 1e-7); 5.6e-5 relative on every value
//            with magnitude > 1e-3; 1.7e-2 with atol 0, on gradients cancelling to near 0.
// Rejected cases: a hidden pre-activation within 1e-9 (float32: 1e-3) of the kink, or a logit
// beyond ±12 (float32: ±8) at any of the 6 parameter sets, mostly large-rate runs that diverge.
// float32 also rejects cases where one float32 rounding of the start moves the reference's
// 5-step result by more than 1e-5 (`float32Sensitivity`). In 600 cases none did; a case found
// by CI (fast-check seed -1475465666, learning rate 0.22, slope 0.001) moved by 6.6e-4, and the
// float32 model was 4.1e-4 off, within what the problem's own sensitivity allows. It also
// rejects cases where the seed's own step run in float32 arithmetic moves the 5-step result by
// more than 1e-5: one rounding of the start does not see sums that cancel, and a case found in
// 8 715 runs (fast-check seed -929192539, fixtures/seed-float32-cancelling.json) passed that
// check yet needed rtol 1.1e-4 on w2 after 5 steps; the seed's step in float32 moves it by
// 2.2e-5 (the test below).
import { readFileSync } from "node:fs";
import { Tensor, leakyRelu, noGrad, sum } from "@tapegrad/core";
import { Dense, SGD, Sequential, bce, bceWithLogits } from "@tapegrad/nn";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Matrix, type SeedLayer, lreluDer, lrelu, roundToFloat32, seedBackward, seedCost,
  seedForward, seedStep, transpose,
} from "./reference/seed-mlp.js";
import { seedStepFloat32 } from "./reference/seed-mlp-float32.js";

type DType = "float32" | "float64";

interface Case {
  params: SeedLayer[];
  X: Matrix; // [features, batch], the seed's layout
  y: Matrix; // [outputs, batch]
  slope: number;
  alpha: number;
}

// fc.double is uniform over representable doubles (mostly tiny magnitudes) and biased towards
// 0 and the bounds; a uniform grid of 2^21 values in (−1, 1), none of them 0, gives O(1) data.
const GRID = 2 ** 20;
const unit = fc.noBias(fc.integer({ min: -GRID, max: GRID - 1 })).map((i) => (i + 0.5) / GRID);
const matrixArb = (rows: number, cols: number, scale: number) =>
  fc.array(fc.array(unit.map((v) => v * scale), { minLength: cols, maxLength: cols }), {
    minLength: rows, maxLength: rows,
  });

/** Targets [outputs, batch]: one class per sample, or independent 0/1 labels. */
const targetArb = (outputs: number, batch: number) =>
  fc.oneof(
    fc.array(fc.nat(outputs - 1), { minLength: batch, maxLength: batch }).map((labels) =>
      Array.from({ length: outputs }, (_, o) => labels.map((l) => (l === o ? 1 : 0)))),
    fc.array(fc.array(fc.constantFrom(0, 1), { minLength: batch, maxLength: batch }), {
      minLength: outputs, maxLength: outputs,
    }),
  );

/** Weights w_i ∈ [−3, 3]/√in so activations stay O(1); biases in [−0.5, 0.5]. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    widths: fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 2, maxLength: 5 }),
    batch: fc.integer({ min: 1, max: 16 }),
    slope: fc.double({ min: 0.001, max: 0.3, noNaN: true }),
    alpha: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
  })
  .chain(({ widths, batch, slope, alpha }) => {
    const layers = widths.slice(1).map((out, i) => {
      const inputs = widths[i];
      return fc.record({
        w: matrixArb(out, inputs, 3 / Math.sqrt(inputs)),
        b: fc.array(unit.map((v) => v / 2), { minLength: out, maxLength: out }),
      });
    });
    return fc.record({
      params: fc.tuple(...layers),
      X: matrixArb(widths[0], batch, 1),
      y: targetArb(widths[widths.length - 1], batch),
      slope: fc.constant(slope),
      alpha: fc.constant(alpha),
    });
  });

/**
 * Keeps hidden pre-activations at least `margin` from 0 (where rounding could flip which side of
 * the kink a value falls on) and logits within ±`maxLogit` (away from bce's 1e-7 clamp, which
 * zeroes its gradient), at the start and after each of the 5 reference SGD steps (a large
 * learning rate can diverge).
 */
function wellConditioned(c: Case, margin: number, maxLogit: number): boolean {
  const L = c.params.length;
  let params = c.params;
  for (let step = 0; step <= 5; step++) {
    const { z } = seedForward(params, c.X, c.slope);
    for (let i = 1; i < L; i++) {
      if (z[i].some((row) => row.some((v) => !(Math.abs(v) >= margin)))) return false;
    }
    if (!z[L].every((row) => row.every((v) => Math.abs(v) <= maxLogit))) return false;
    params = seedStep(params, c.X, c.y, c.slope, c.alpha).params;
  }
  return true;
}

/**
 * How far float32 precision alone moves the reference's parameters after 5 SGD steps (as the
 * smallest rtol with atol 1e-6 that covers it), the larger of two measures: every starting
 * parameter moved by one float32 rounding (relative 2^-24, alternating in sign), and the seed's
 * own step run in float32 arithmetic (seed-mlp-float32.ts: every operation rounded, which sees
 * sums that cancel). A float32 model rounds at every operation of every step, so where float32
 * arithmetic already moves the result by a tenth of the 1e-4 tolerance, no float32
 * implementation can be held to it; such cases are ill-conditioned, like those near a kink.
 */
function float32Sensitivity(c: Case): number {
  const X = c.X.map((r) => r.map(Math.fround));
  const start = roundToFloat32(c.params);
  const nudge = (v: number, j: number) => v * (1 + (j % 2 === 0 ? 1 : -1) * 2 ** -24);
  const nudged = start.map(({ w, b }) => ({ w: w.map((r) => r.map(nudge)), b: b.map(nudge) }));
  let [a, b, rounded] = [start, nudged, start];
  for (let step = 0; step < 5; step++) {
    a = seedStep(a, X, c.y, c.slope, c.alpha).params;
    b = seedStep(b, X, c.y, c.slope, c.alpha).params;
    rounded = seedStepFloat32(rounded, X, c.y, c.slope, c.alpha);
  }
  const moved = (other: SeedLayer[]) => Math.max(...a.map((layer, i) => Math.max(
    neededRtol(layer.w.flat(), other[i].w.flat(), 1e-6), neededRtol(layer.b, other[i].b, 1e-6))));
  return Math.max(moved(b), moved(rounded));
}

/** Sequential of Dense layers with the reference's weights: Dense.weight[k, o] = w[o][k]. */
function buildModel(c: Case, dtype: DType): { model: Sequential; dense: Dense[] } {
  const L = c.params.length;
  const dense = c.params.map(({ w, b }, i) => {
    const layer = new Dense({
      inputSize: w[0].length, outputSize: w.length, dtype, init: "zeros", alpha: c.slope,
      activation: i < L - 1 ? "leakyRelu" : "sigmoid",
    });
    layer.weight.data.set(transpose(w).flat());
    layer.bias?.data.set(b);
    return layer;
  });
  return { model: new Sequential(dense), dense };
}

/** A batch-first tensor [batch, features] from the seed's [features, batch] matrix. */
function batchFirst(m: Matrix, dtype: DType): Tensor {
  const rows = transpose(m);
  const flat = rows.flat();
  const data = dtype === "float64" ? Float64Array.from(flat) : Float32Array.from(flat);
  return new Tensor(data, [rows.length, m.length]);
}

/** max (|a − b| − atol)⁺ / max(|a|, |b|): the smallest rtol the pair passes with `atol`. */
function neededRtol(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - atol;
    if (!(excess <= 0)) {
      worst = Math.max(worst, excess / Math.max(Math.abs(actual[i]), Math.abs(expected[i])));
    }
  }
  return worst;
}

interface Tolerance {
  rtol: number;
  atol: number;
}

function expectClose(
  what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance,
): void {
  const needed = neededRtol(actual, expected, tol.atol);
  expect(needed, `${what}: needs rtol ${needed}`).toBeLessThanOrEqual(tol.rtol);
}

/** Compares the tapegrad layers with the reference layers (weights transposed). */
function expectSameParams(what: string, dense: Dense[], params: SeedLayer[], tol: Tolerance) {
  dense.forEach((layer, i) => {
    expectClose(`${what} w${i + 1}`, layer.weight.data, transpose(params[i].w).flat(), tol);
    expectClose(`${what} b${i + 1}`, layer.bias?.data ?? [], params[i].b, tol);
  });
}

/** One case: loss, gradients, then 5 SGD steps against the seed's loop. */
function checkCase(c: Case, dtype: DType, tol: Tolerance): void {
  const start = dtype === "float32" ? roundToFloat32(c.params) : c.params;
  const X = dtype === "float32" ? c.X.map((r) => r.map(Math.fround)) : c.X;
  const { model, dense } = buildModel({ ...c, params: start }, dtype);
  const x = batchFirst(X, dtype);
  const y = batchFirst(c.y, dtype);
  const optimizer = new SGD(model.parameters(), { learningRate: c.alpha });

  const forward = seedForward(start, X, c.slope);
  const grads = seedBackward(start, forward, c.y, c.slope);
  const cost = seedCost(forward.yn, c.y);

  let params = start;
  for (let step = 1; step <= 5; step++) {
    model.zeroGrad();
    const loss = bce(model.forward(x), y, { reduction: "batchMean" });
    loss.backward();
    if (step === 1) {
      const stable = noGrad(() => bceWithLogits(model.logits(x), y, { reduction: "batchMean" }));
      expectClose("bce", [loss.item()], [cost], tol);
      expectClose("bceWithLogits", [stable.item()], [cost], tol);
      dense.forEach((layer, i) => {
        const dw = transpose(grads.dw[i]).flat();
        expectClose(`dW${i + 1}`, layer.weight.grad?.data ?? [], dw, tol);
        expectClose(`db${i + 1}`, layer.bias?.grad?.data ?? [], grads.db[i], tol);
      });
    }
    const reference = seedStep(params, X, c.y, c.slope, c.alpha);
    expectClose(`loss at step ${step}`, [loss.item()], [reference.cost], tol);
    optimizer.step();
    params = reference.params;
    if (step === 1 || step === 5) expectSameParams(`after ${step} steps:`, dense, params, tol);
  }
}

describe("tapegrad matches the seed's backprop", () => {
  it("float64: same loss, dW, db and parameters after 1 and 5 SGD steps, to 1e-9", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(wellConditioned(c, 1e-9, 12));
        checkCase(c, "float64", { rtol: 1e-9, atol: 1e-14 });
      }),
      { numRuns: 80 },
    );
  }, 30_000);

  it("float32 model against the float64 reference, to 1e-4", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(wellConditioned(c, 1e-3, 8) && float32Sensitivity(c) <= 1e-5);
        checkCase(c, "float32", { rtol: 1e-4, atol: 1e-6 });
      }),
      { numRuns: 50 },
    );
  }, 30_000);

  it("rejects for float32 a case whose sums cancel, which one rounding does not show", () => {
    // Found by the property above (fast-check seed -929192539 after 8 715 runs): it passed the
    // kink and one-rounding checks, and tapegrad's float32 model needed rtol 1.1e-4 on w2.
    const c = JSON.parse(readFileSync(
      new URL("fixtures/seed-float32-cancelling.json", import.meta.url), "utf8")) as Case;
    expect(wellConditioned(c, 1e-3, 8)).toBe(true);
    const X = c.X.map((r) => r.map(Math.fround));
    let [exact, rounded] = [roundToFloat32(c.params), roundToFloat32(c.params)];
    for (let step = 0; step < 5; step++) {
      exact = seedStep(exact, X, c.y, c.slope, c.alpha).params;
      rounded = seedStepFloat32(rounded, X, c.y, c.slope, c.alpha);
    }
    const w2 = neededRtol(rounded[1].w.flat(), exact[1].w.flat(), 1e-6);
    expect(w2).toBeGreaterThan(2e-5);
    expect(w2).toBeLessThan(2.5e-5);
    expect(float32Sensitivity(c)).toBeGreaterThan(1e-5);
  });
});

describe("the kink of leaky ReLU", () => {
  it("at z = 0 and −0 the seed's lreluDer(a) and the tape's derivative " +
    "both give the slope", () => {
    const slope = 0.2;
    const z = new Tensor(Float64Array.of(0, -0), [2]);
    z.requiresGrad = true;
    sum(leakyRelu(z, slope)).backward();
    expect(Array.from(z.grad?.data ?? [])).toEqual([slope, slope]);
    expect([0, -0].map((v) => lreluDer(lrelu(v, slope), slope))).toEqual([slope, slope]);
  });

  it("a Dense layer whose pre-activation is exactly 0 passes the slope to its bias", () => {
    const slope = 0.2;
    const layer = new Dense({
      inputSize: 1, outputSize: 1, activation: "leakyRelu", alpha: slope, init: "zeros",
      dtype: "float64",
    });
    sum(layer.forward(new Tensor(Float64Array.of(1.5), [1, 1]))).backward(); // z = 0·1.5 + 0
    expect(layer.bias?.grad?.item()).toBe(slope);
  });
});
