import { describe, expect, it } from "vitest";
import { checkOptions, suggestName } from "./options.js";

describe("checkOptions", () => {
  const valid = ["learningRate", "beta1", "beta2", "eps", "weightDecay"];

  it("returns the options when every key is valid, {} for undefined", () => {
    const options = { learningRate: 0.1, eps: 1e-8 };
    expect(checkOptions("Adam", options, valid)).toBe(options);
    expect(checkOptions("Adam", undefined, valid)).toEqual({});
  });

  it("names the unknown key, an alias suggestion and the valid keys", () => {
    expect(() => checkOptions("Adam", { lr: 0.01 }, valid)).toThrow(
      'Adam: unknown option "lr"; did you mean "learningRate"? Valid options: ' +
        "learningRate, beta1, beta2, eps, weightDecay",
    );
  });

  it("suggests near misses by spelling and case, nothing for unrelated keys", () => {
    expect(() => checkOptions("Adam", { learningrate: 1 }, valid))
      .toThrow('did you mean "learningRate"?');
    expect(() => checkOptions("Adam", { weight_decay: 1 }, valid))
      .toThrow('did you mean "weightDecay"?');
    expect(() => checkOptions("Adam", { beta3: 1 }, valid)).toThrow('did you mean "beta1"?');
    expect(() => checkOptions("Adam", { momentum: 0.9 }, valid)).toThrow(
      'Adam: unknown option "momentum"; Valid options: learningRate, beta1, beta2, eps, ' +
        "weightDecay",
    );
  });

  it("rejects options that are not a plain object", () => {
    expect(() => checkOptions("tensor", 3 as unknown as object, valid))
      .toThrow("tensor: options must be an object; got number");
    expect(() => checkOptions("tensor", null as unknown as object, valid))
      .toThrow("got null");
    expect(() => checkOptions("tensor", [1] as unknown as object, valid))
      .toThrow("got an array");
  });
});

describe("suggestName", () => {
  it("maps common aliases only to names that are valid here", () => {
    expect(suggestName("lr", ["learningRate"])).toBe("learningRate");
    expect(suggestName("lr", ["momentum"])).toBeUndefined();
    expect(suggestName("keepdim", ["axis", "keepdims"])).toBe("keepdims");
    expect(suggestName("slope", ["alpha"])).toBe("alpha");
    expect(suggestName("retain_graph", ["createGraph", "retainGraph"])).toBe("retainGraph");
  });

  it("counts a swap of neighbours as one edit and suggests the name a key begins", () => {
    expect(suggestName("alhpa", ["alpha"])).toBe("alpha");
    expect(suggestName("step", ["initial", "stepSize", "gamma"])).toBe("stepSize");
    expect(suggestName("warmup", ["totalSteps", "warmupSteps"])).toBe("warmupSteps");
    expect(suggestName("st", ["stepSize"])).toBeUndefined(); // too short to mean anything
  });
});
