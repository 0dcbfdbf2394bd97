// Our own op, checked as a user checks theirs: gradcheck passes for softsign and fails, with
// the element and both values, for a VJP that is wrong; it trains under fit's compiled steps.
import { Module, Sequential, Dense, fit } from "@tapegrad/nn";
import { Rng, type Tensor, randn, tensor } from "@tapegrad/core";
import { GradcheckError, gradcheck } from "@tapegrad/core/testing";
import { describe, expect, it } from "vitest";
import { brokenSoftsign, softsign } from "./softsign.js";

// Away from the kink of |x| at 0, where finite differences are not the derivative.
const x = tensor([0.7, -1.3, 2.5, -0.4], { dtype: "float64" });

describe("softsign, a custom op", () => {
  it("computes x / (1 + |x|)", () => {
    expect(softsign(tensor([-3, 0, 1])).toArray()).toEqual([-0.75, 0, 0.5]);
  });

  it("passes gradcheck against central differences", () => {
    const report = gradcheck((t) => softsign(t), [x]);
    expect(report.checked).toBe(4);
    expect(report.maxRelError).toBeLessThan(1e-7);
  });

  it("a wrong VJP fails gradcheck at the first element, with both values", () => {
    // gradcheck weights the output with randn from Rng(0) (its default seed): the tape's
    // value is then exactly w₀ / (1 + |x₀|), the true derivative w₀ / (1 + |x₀|)².
    const w0 = randn([4], { dtype: "float64", rng: new Rng(0) }).data[0];
    let message = "";
    try {
      gradcheck((t) => brokenSoftsign(t), [x]);
    } catch (error) {
      expect(error).toBeInstanceOf(GradcheckError);
      message = (error as Error).message;
    }
    const match = new RegExp("^gradcheck: inputs\\[0\\] \\[4\\] at index \\[0\\]: tape " +
      "(\\S+), numeric (\\S+), \\|diff\\| (\\S+) \\(atol 1e-8, rtol 0\\.000001\\)$").exec(message);
    expect(match, message).not.toBeNull();
    const [tape, numeric, diff] = match!.slice(1).map(Number);
    expect(tape).toBe(w0 / 1.7);
    expect(numeric).toBeCloseTo(w0 / 1.7 ** 2, 8);
    expect(diff).toBe(Math.abs(tape - numeric));
  });

  it("trains inside a model, compiled and eager alike", async () => {
    class Softsign extends Module {
      forward(input: Tensor): Tensor {
        return softsign(input);
      }
    }
    const run = async (compile: boolean) => {
      const model = new Sequential([
        new Dense({ inputSize: 2, outputSize: 8, seed: 1 }),
        new Softsign(),
        new Dense({ inputSize: 8, outputSize: 1, activation: "sigmoid", seed: 2 }),
      ]);
      const data = { x: [[0, 1], [1, 0], [1, 1], [0, 0]], y: [1, 1, 0, 0] };
      return (await fit(model, data, { epochs: 5, batchSize: 2, seed: 3, compile })).stepLosses;
    };
    expect(await run(true)).toEqual(await run(false));
  });
});
