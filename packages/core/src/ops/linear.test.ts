// linear's option record: unknown keys are errors with a suggestion, as in every public option.
import { describe, expect, it } from "vitest";
import { tensor } from "../creation.js";
import { linear } from "./linear.js";

describe("linear options", () => {
  const x = tensor([[1, 2]]);
  const w = tensor([[1], [-1]]);

  it("rejects unknown keys, naming the valid ones", () => {
    expect(() => linear(x, w, null, { activaton: "relu" } as never)).toThrow(
      'linear: unknown option "activaton"; did you mean "activation"? Valid options: ' +
        "activation, slope");
    expect(() => linear(x, w, null, { alpha: 0.1 } as never)).toThrow(/unknown option "alpha"/);
  });

  it("accepts the valid ones", () => {
    expect(Array.from(linear(x, w, null, { activation: "leakyRelu", slope: 0.5 }).data))
      .toEqual([-0.5]);
    expect(Array.from(linear(x, w, null).data)).toEqual([-1]);
  });
});
