// The loss curve of a real (small) run, resumed once: its points are where the history's values
// go on the log and accuracy axes, with epoch ticks and the resume mark.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CheckpointState, LOSS_CURVE_FILE, type MnistData, loadCheckpoint, loadMnist, runTraining,
} from "../src/index.js";

let dir: string;
let data: MnistData;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-curve-"));
  data = await loadMnist({ limit: 600, validation: 100 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings = { batchSize: 50, schedule: "constant" as const };

function labels(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`class="${cls}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);
}

function ticks(svg: string, cls: string): Array<[number, number]> {
  const pattern = new RegExp(`class="${cls}" x="[\\d.]+" y="([\\d.]+)"[^>]*>([^<]*)<`, "g");
  return [...svg.matchAll(pattern)].map((m) => [Number.parseFloat(m[2]), Number(m[1])]);
}

function polyline(svg: string, cls: string): Array<[number, number]> {
  const points = new RegExp(`class="${cls}"[^>]*points="([^"]+)"`).exec(svg)?.[1] ?? "";
  return points.split(" ").filter(Boolean).map((p) => p.split(",").map(Number) as [number, number]);
}

describe("loss-curve.svg of a resumed run", { timeout: 120_000 }, () => {
  it("draws the history's values on their axes and marks the resume", async () => {
    const out = join(dir, "run");
    const first = { ...settings, epochs: 2 };
    await runTraining({ data, out, limit: 600, validation: 100, settings: first });
    await runTraining({ data, out, resume: true, settings: { epochs: 4 } });
    const svg = await readFile(join(out, LOSS_CURVE_FILE), "utf8");
    const { state } = await loadCheckpoint(out);
    expect((state as CheckpointState).resumedAfter).toEqual([2]);
    const epochs = state.history.epochs;
    expect(epochs).toHaveLength(4);

    expect(labels(svg, "epoch-tick")).toEqual(["0", "1", "2", "3", "4"]);
    expect(labels(svg, "resume-label")).toEqual(["resumed after epoch 2"]);
    const validation = polyline(svg, "validation-loss");
    const resumeX = Number(/class="resume" x1="([\d.]+)"/.exec(svg)?.[1]);
    expect(resumeX).toBeCloseTo(validation[1][0], 1); // at the end of epoch 2

    // Loss: log10 of each value maps linearly to y through any two tick labels.
    const lossTicks = ticks(svg, "loss-tick");
    expect(lossTicks.length).toBeGreaterThanOrEqual(3);
    const [[v0, y0], [v1, y1]] = [lossTicks[0], lossTicks[lossTicks.length - 1]];
    const yOfLoss = (v: number) => y0 + ((Math.log10(v) - Math.log10(v0)) * (y1 - y0)) /
      (Math.log10(v1) - Math.log10(v0));
    validation.forEach(([, y], i) => {
      expect(y).toBeCloseTo(yOfLoss(epochs[i].validationLoss ?? 0), 0);
    });
    polyline(svg, "train-loss").forEach(([, y], i) => {
      expect(y).toBeCloseTo(yOfLoss(epochs[i].trainLoss), 0);
    });

    // Accuracy: ticks inside the range the values span (padded), points where the values go.
    const accTicks = ticks(svg, "accuracy-tick");
    const values = epochs.flatMap((e) => [e.trainAccuracy ?? 0, e.validationAccuracy ?? 0]);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    for (const [pct] of accTicks) {
      expect(pct / 100).toBeGreaterThan(lo - 0.1);
      expect(pct / 100).toBeLessThan(hi + 0.1);
    }
    const [[a0, p0], [a1, p1]] = [accTicks[0], accTicks[accTicks.length - 1]];
    const yOfAcc = (v: number) => p0 + ((100 * v - a0) * (p1 - p0)) / (a1 - a0);
    polyline(svg, "validation-accuracy")
      .forEach(([, y], i) => expect(y).toBeCloseTo(yOfAcc(epochs[i].validationAccuracy ?? 0), 0));
  });
});
