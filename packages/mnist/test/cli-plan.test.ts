// The pure parts behind the CLI's messages: resume plans (cosine re-planning) and doctor's
// verdict line.
import type { Finding } from "@tapegrad/nn";
import { describe, expect, it } from "vitest";
import type { CheckpointState } from "../src/checkpoint.js";
import { doctorVerdict } from "../src/doctor.js";
import { describeScheduleChange, resumePlan } from "../src/resume.js";
import { DEFAULT_SETTINGS, type TrainingSettings } from "../src/run.js";

/** A checkpoint state after `done` epochs of `steps` steps each. */
function state(
  done: number, steps: number, config: Partial<TrainingSettings> = {},
): CheckpointState<TrainingSettings> {
  return {
    format: "tapegrad-mnist-checkpoint", version: 1, epoch: done,
    history: { stepLosses: [], epochs: [] }, rng: { seed: 0 } as never,
    optimizer: { type: "Adam", step: done * steps, parameters: 6 },
    config: { ...DEFAULT_SETTINGS, ...config },
  };
}

describe("resumePlan", () => {
  it("continues an interrupted run to its planned total without re-planning", () => {
    expect(resumePlan(state(3, 10))).toEqual({
      epochsDone: 3, plannedEpochs: 8, epochs: 8, nothingToDo: false,
    });
  });

  it("has nothing to do on a finished run, and refuses fewer epochs than done", () => {
    expect(resumePlan(state(8, 10)).nothingToDo).toBe(true);
    expect(resumePlan(state(8, 10), 8).nothingToDo).toBe(true);
    expect(() => resumePlan(state(8, 10), 5, "--epochs"))
      .toThrow("--epochs: epochs 5 is fewer than the 8 epochs the run has finished");
  });

  it("re-plans a cosine schedule: the rate after 8 of 8 epochs, extended to 12", () => {
    const change = resumePlan(state(8, 10), 12).scheduleChange;
    // Step 80 of 80 under the old plan: 0; of 120: 0.001 · (1 + cos(2π/3)) / 2 = 0.00025.
    expect(change).toMatchObject({ fromEpochs: 8, toEpochs: 12, nextEpoch: 9, initial: 1e-3 });
    expect(change?.rateBefore).toBe(0);
    expect(change?.rateAfter).toBeCloseTo(2.5e-4, 15);
    expect(describeScheduleChange(change!, "runs/a", "--epochs")).toBe(
      "--epochs 12 re-plans the cosine schedule of runs/a (planned over 8 epochs): the rate at " +
        "epoch 9 goes up from 0 to 0.00025 (of lr 0.001) and now decays to 0 at epoch 12. The " +
        "result differs from a 12-epoch run from the start; to extend runs exactly, train them " +
        "with --schedule constant.",
    );
  });

  it("re-plans an interrupted cosine run to fewer epochs: the rate goes down", () => {
    const change = resumePlan(state(2, 10), 4).scheduleChange!;
    // Step 20 of 80: 0.001 · (1 + cos(π/4)) / 2 = 0.000854; of 40: 0.0005.
    expect(change.rateBefore).toBeCloseTo(8.5355e-4, 7);
    expect(change.rateAfter).toBeCloseTo(5e-4, 15);
    expect(describeScheduleChange(change, "d", "--epochs")).toMatch(
      /the rate at epoch 3 goes down from 0.000854 to 0.0005 /,
    );
  });

  it("never re-plans a constant schedule", () => {
    expect(resumePlan(state(8, 10, { schedule: "constant" }), 12).scheduleChange).toBeUndefined();
  });
});

describe("doctorVerdict", () => {
  const finding = (severity: Finding["severity"], message: string): Finding => ({
    code: "plateau", severity, value: 0, message, cause: "", fix: "",
  });

  it("counts errors and warnings and quotes the worst", () => {
    expect(doctorVerdict([
      finding("error", "all zero"), finding("error", "dead"), finding("warning", "slow"),
    ])).toBe("doctor: 2 errors, 1 warning — this model will not learn: all zero");
    expect(doctorVerdict([finding("warning", "slow"), finding("info", "n")]))
      .toBe("doctor: 1 warning — it may learn slowly or badly: slow");
  });

  it("says no problems found, counting notes", () => {
    expect(doctorVerdict([])).toBe("doctor: no problems found");
    expect(doctorVerdict([finding("info", "a"), finding("info", "b")]))
      .toBe("doctor: no problems found (2 notes below)");
  });
});
