// nn's losses against PyTorch 1.13 in float64: values and the gradients of sum(loss · w) for
// each reduction and option, from torch-losses.ts (written by core's fixtures/torch_ops.py).
import { type Tensor, tensor } from "@tapegrad/core";
import { bce, bceWithLogits, crossEntropy, mse, type Reduction } from "@tapegrad/nn";
import { describe, expect, it } from "vitest";
import { type ReferenceTolerance, referenceMismatches } from "@tapegrad/core/testing";
import { type TorchCase, torchOpCases } from "./torch-losses.js";

/** Expects `actual` to match PyTorch's `reference`, naming the first differing positions. */
function expectMatches(
  label: string, actual: ArrayLike<number>, reference: readonly number[],
  tolerance: ReferenceTolerance,
): void {
  expect(referenceMismatches(actual, reference, tolerance).slice(0, 8), label).toEqual([]);
}

type Args = Readonly<Record<string, unknown>>;

// |tapegrad − PyTorch| ≤ atol + rtol·|PyTorch| (float64).
const FLOAT64 = { atol: 1e-12, rtol: 1e-10 };

// "batchMean" has no PyTorch twin (it is the seed's BCE convention) and is not compared.
const RUN: Readonly<Record<string, (inputs: Tensor[], args: Args) => Tensor>> = {
  mse: ([x, t], a) => mse(x, t, { reduction: a.reduction as Reduction }),
  bce: ([p, t], a) => bce(p, t, { reduction: a.reduction as Reduction }),
  bceWithLogits: ([x, t], a) => bceWithLogits(x, t, { reduction: a.reduction as Reduction }),
  crossEntropy: ([x, t], a) => crossEntropy(x, a.labelArray === true ? [...t.data] : t, {
    reduction: a.reduction as Reduction,
    ...("labelSmoothing" in a ? { labelSmoothing: a.labelSmoothing as number } : {}),
  }),
};

function check(c: TorchCase): void {
  const inputs = c.inputs.map((input) => tensor(Float64Array.from(input.data), [...input.shape], {
    dtype: "float64", requiresGrad: input.grad !== undefined,
  }));
  const where = `${c.op}/${c.name}`;
  const out = RUN[c.op](inputs, c.args);
  expect(out.shape, `${where}: output shape`).toEqual(c.outShape);
  expectMatches(`${where}: output`, out.data, c.out, { zeroSign: true, ...FLOAT64 });
  out.backward(tensor(Float64Array.from(c.w), [...c.outShape], { dtype: "float64" }));
  c.inputs.forEach((input, i) => {
    if (input.grad === undefined) return;
    const grad = inputs[i].grad;
    const values = grad === null ? new Float64Array(input.data.length) : grad.data;
    expectMatches(`${where}: gradient of input ${i}`, values, input.grad, {
      zeroSign: false, ...FLOAT64,
    });
  });
}

describe("nn losses against PyTorch 1.13 float64", () => {
  it("has a runner for every loss in the fixtures and a case for every runner", () => {
    expect([...new Set(torchOpCases.map((c) => c.op))].sort()).toEqual(Object.keys(RUN).sort());
  });
  for (const c of torchOpCases) {
    it(`${c.op}/${c.name}`, () => check(c));
  }
});
