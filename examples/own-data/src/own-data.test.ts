// The own-data examples reach what the README states, and reload to the same numbers.
import { describe, expect, it } from "vitest";
import { moons } from "./moons.js";
import { regression } from "./regression.js";

describe("train on your own data", { timeout: 120_000 }, () => {
  it("2 moons: ≥ 97 % accuracy on 500 new points; the reloaded model agrees", async () => {
    const { test, reloaded, history } = await moons();
    expect(test.objective.task).toBe("binary");
    expect(test.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(reloaded).toEqual(test);
    expect(history.epochs).toHaveLength(30);
  });

  it("sin(2a)·cos(b): test MSE ≤ 0.002 (the mean's is ≈ 0.28); the reloaded model agrees",
    async () => {
      const { test, reloaded } = await regression();
      expect(test.objective.loss).toBe("mse");
      expect(test.loss).toBeLessThanOrEqual(0.002);
      expect(test.baselineLoss).toBeGreaterThan(0.2);
      expect(reloaded).toEqual(test);
    });
});
