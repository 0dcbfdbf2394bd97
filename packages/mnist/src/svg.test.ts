// Loss-curve SVG: axis ticks and the drawn elements.
import { describe, expect, it } from "vitest";
import { type LossCurveData, lossCurveSvg } from "./svg.js";
import { formatPercent, formatTick, linearTicks, logTicks } from "./svg-scale.js";

describe("axis ticks", () => {
  it("log ticks: decades over a wide range, 1-2-5 or finer over a narrow one", () => {
    expect(logTicks(0.004, 7)).toEqual([0.01, 0.1, 1]);
    expect(logTicks(0.3, 7)).toEqual([0.5, 1, 2, 5]);
    expect(logTicks(0.9, 1.8)).toEqual([1, 1.5]);
    expect(logTicks(0.95, 1.8).length).toBeLessThan(3); // then linear ticks take over
  });

  it("linear ticks and labels", () => {
    expect(linearTicks(0.955, 0.99, 6)).toEqual([0.96, 0.97, 0.98, 0.99]);
    expect(linearTicks(0.955, 0.99, 8)).toEqual([
      0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.99,
    ]);
    expect(linearTicks(0, 12, 10)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect([0.3, 1.5, 0.002, 20, 0.30000000000000004].map(formatTick))
      .toEqual(["0.3", "1.5", "0.002", "20", "0.3"]);
    expect([formatPercent(0.975, 0.005), formatPercent(0.98, 0.01), formatPercent(0.6, 0.2)])
      .toEqual(["97.5%", "98%", "60%"]);
  });
});

// Like a real MNIST run: 469 steps per epoch, cross-entropy falling from 2.3 to about 0.03,
// validation loss bottoming out and rising again (overfitting), accuracy 93 → 98.4 %.
function run(epochs: number, resumedAfter?: number[]): LossCurveData {
  const perEpoch = 469;
  const stepLosses = Array.from({ length: epochs * perEpoch }, (_, i) =>
    0.03 + 2.27 * Math.exp(-i / 120) * (1 + 0.3 * Math.sin(i * 7.1)));
  return {
    stepLosses,
    epochs: Array.from({ length: epochs }, (_, e) => ({
      trainLoss: 0.3 / (e + 1), trainAccuracy: 0.93 + 0.05 * (1 - 1 / (e + 1)),
      validationLoss: 0.1 - 0.03 * Math.min(e, 3) + 0.01 * Math.max(0, e - 3),
      validationAccuracy: 0.965 + 0.004 * Math.min(e, 4),
    })),
    resumedAfter,
  };
}

// Every label of a class, in document order.
function labels(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`class="${cls}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);
}

function polyline(svg: string, cls: string): Array<[number, number]> {
  const points = new RegExp(`class="${cls}"[^>]*points="([^"]+)"`).exec(svg)?.[1] ?? "";
  return points.split(" ").filter(Boolean).map((p) => p.split(",").map(Number) as [number, number]);
}

describe("lossCurveSvg", () => {
  const data = run(8, [3]);
  const svg = lossCurveSvg({ history: data, baseline: 2.3017, loss: "crossEntropy" });

  it("draws training and validation loss, both accuracies and a dashed baseline", () => {
    expect(svg.startsWith("<svg")).toBe(true);
    expect(polyline(svg, "step-loss").length).toBeGreaterThan(100);
    expect(polyline(svg, "train-loss")).toHaveLength(8);
    expect(polyline(svg, "validation-loss")).toHaveLength(8);
    expect(polyline(svg, "train-accuracy")).toHaveLength(8);
    expect(polyline(svg, "validation-accuracy")).toHaveLength(8);
    expect(svg).toMatch(/class="baseline"[^>]*stroke-dasharray/);
    expect(svg).toContain("constant predictor 2.302");
    expect(svg).toContain("cross-entropy (log scale)");
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it("puts loss on a log axis: equal ratios are equal distances", () => {
    expect(labels(svg, "loss-tick")).toEqual(["0.01", "0.1", "1"]);
    const ticks = [...svg.matchAll(/class="loss-tick" x="[\d.]+" y="([\d.]+)"/g)]
      .map((m) => Number(m[1]));
    expect(ticks).toHaveLength(3);
    const pxPerDecade = ticks[0] - ticks[1];
    expect(ticks[1] - ticks[2]).toBeCloseTo(pxPerDecade, 1);
    expect(pxPerDecade).toBeGreaterThan(50);
    // Validation loss 0.1 down to 0.01 and up again: each point sits where log10 puts it.
    const y = (v: number) => ticks[0] - (Math.log10(v) + 2) * pxPerDecade;
    polyline(svg, "validation-loss").forEach(([, py], e) => {
      expect(py).toBeCloseTo(y(data.epochs[e].validationLoss as number), 1);
    });
  });

  it("fits the accuracy axis to the range the accuracies move in", () => {
    const ticks = labels(svg, "accuracy-tick");
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const t of ticks) {
      expect(Number.parseFloat(t)).toBeGreaterThanOrEqual(92);
      expect(Number.parseFloat(t)).toBeLessThanOrEqual(99);
    }
    expect(ticks).not.toContain("0%");
  });

  it("ticks every epoch, places epoch means mid-epoch, and marks the resume", () => {
    expect(labels(svg, "epoch-tick")).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    const xs = polyline(svg, "train-loss").map(([x]) => x);
    const vx = polyline(svg, "validation-loss").map(([x]) => x);
    const epochWidth = vx[1] - vx[0];
    expect(vx[0] - xs[0]).toBeCloseTo(epochWidth / 2, 1);
    const mark = /class="resume" x1="([\d.]+)"/.exec(svg);
    expect(Number(mark?.[1])).toBeCloseTo(vx[2], 1); // after epoch 3 = the third validation
    expect(labels(svg, "resume-label")).toEqual(["resumed after epoch 3"]);
  });

  it("averages steps into at most maxPoints points and keeps them in the plot", () => {
    const few = lossCurveSvg({ history: data, maxPoints: 100 });
    const points = polyline(few, "step-loss");
    expect(points.length).toBeLessThanOrEqual(100);
    expect(few).toContain("loss per step (mean of 38)");
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(70);
      expect(x).toBeLessThanOrEqual(736);
      expect(y).toBeGreaterThanOrEqual(62);
    }
  });

  it("says how many non-finite steps it left out", () => {
    const bad = { ...data, stepLosses: data.stepLosses.map((v, i) => (i % 100 === 5 ? NaN : v)) };
    const text = lossCurveSvg({ history: bad });
    expect(text).toContain("38 steps with a non-finite loss not drawn");
    expect(text).not.toMatch(/NaN/);
  });

  it("copes with one epoch, many epochs and an empty history, and escapes the title", () => {
    const one = lossCurveSvg({ history: run(1) });
    expect(polyline(one, "validation-loss")).toHaveLength(1);
    expect(one).toMatch(/class="validation-loss-points">\n<circle/);
    expect(labels(one, "epoch-tick")).toEqual(["0", "1"]);
    expect(labels(lossCurveSvg({ history: run(40) }), "epoch-tick"))
      .toEqual(["0", "5", "10", "15", "20", "25", "30", "35", "40"]);
    const empty = lossCurveSvg({ history: { stepLosses: [], epochs: [] }, title: "a<b" });
    expect(empty).toContain("a&lt;b");
    expect(empty).toContain("no steps yet");
    expect(empty).not.toMatch(/NaN|Infinity/);
  });
});
