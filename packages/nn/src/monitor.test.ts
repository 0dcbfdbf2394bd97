// TrainingMonitor: NaN loss, plateaus at and away from the baseline, diagnose on demand.
import { oneHot, randn, tensor } from "@tapegrad/core";
import { describe, expect, test } from "vitest";
import { Dense } from "./dense.js";
import type { Finding } from "./diagnose.js";
import { type MonitorOptions, TrainingMonitor } from "./monitor.js";
import { Sequential } from "./sequential.js";

function zeroNet(): Sequential {
  return new Sequential([
    new Dense({ inputSize: 4, outputSize: 6, activation: "leakyRelu", init: "zeros" }),
    new Dense({ inputSize: 6, outputSize: 3, activation: "sigmoid", init: "zeros" }),
  ]);
}
const batch = {
  x: randn([12, 4], { seed: 2 }),
  y: oneHot([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1], 3),
};

describe("TrainingMonitor", () => {
  test("a NaN loss is an error at once, reported once", () => {
    const monitor = new TrainingMonitor();
    expect(monitor.step(1.5)).toEqual([]);
    const found = monitor.step(Number.NaN);
    expect(found.map((f) => f.code)).toEqual(["non-finite"]);
    expect(found[0].message).toMatch(/became NaN at step 2/);
    expect(monitor.step(Number.NaN)).toEqual([]);
  });

  test("a loss stuck at the baseline is the seed's plateau: an error", () => {
    const monitor = new TrainingMonitor({ baseline: 3.2489, window: 5 });
    const losses = [6.93, 5.1, 4.0, 3.5, 3.3, 3.2495, 3.2490, 3.2489, 3.2489, 3.2489];
    const found = losses.flatMap((l) => monitor.step(l));
    expect(found.map((f) => f.code)).toEqual(["loss-at-baseline"]);
    expect(found[0].severity).toBe("error");
    expect(found[0].value).toBeCloseTo(3.24904, 5);
    expect(monitor.plateaued).toBe(true);
  });

  test("a plateau away from the baseline is a warning; a falling loss is nothing", () => {
    const flat = new TrainingMonitor({ baseline: 3.25, window: 4 });
    const found = [0.5, 0.5, 0.5, 0.5].flatMap((l) => flat.epoch(l));
    expect(found.map((f) => [f.code, f.severity])).toEqual([["plateau", "warning"]]);
    const falling = new TrainingMonitor({ baseline: 3.25, window: 4 });
    expect([6.9, 5, 4, 3, 2, 1.5, 1.2].flatMap((l) => falling.step(l))).toEqual([]);
    expect(falling.plateaued).toBe(false);
  });

  test("with a probe, the first finding runs diagnose(); onFinding sees each once", () => {
    const seen: Finding[] = [];
    const monitor = new TrainingMonitor({
      baseline: 2, window: 3, probe: { model: zeroNet(), batch }, onFinding: (f) => seen.push(f),
    });
    const found = [2, 2, 2].flatMap((l) => monitor.step(tensor(l)));
    const codes = found.map((f) => `${f.code}@${f.layer}`);
    expect(codes[0]).toBe("loss-at-baseline@loss");
    expect(codes).toContain("zero-weights@layers.0");
    expect(codes).toContain("weight-grad-zero@layers.1");
    expect(seen).toEqual(found);
    expect(monitor.findings).toEqual(found);
    expect([2, 2].flatMap((l) => monitor.step(l))).toEqual([]);
  });

  test("diagnoseAt runs diagnose at the chosen steps only", () => {
    const monitor = new TrainingMonitor({ probe: { model: zeroNet(), batch }, diagnoseAt: [2] });
    expect(monitor.step(3)).toEqual([]);
    expect(monitor.step(2).map((f) => f.code)).toContain("zero-weights");
    expect(() => new TrainingMonitor({ window: 1 }))
      .toThrow(/window must be an integer ≥ 2; got 1/);
  });

  test("misspelled option keys are refused, not ignored", () => {
    const typo = { onfinding: () => {} } as unknown as MonitorOptions;
    expect(() => new TrainingMonitor(typo))
      .toThrow('TrainingMonitor: unknown option "onfinding"; did you mean "onFinding"?');
    const probe = { model: zeroNet(), input: batch } as unknown as MonitorOptions["probe"];
    expect(() => new TrainingMonitor({ probe }))
      .toThrow('TrainingMonitor: probe: unknown option "input"');
  });
});
