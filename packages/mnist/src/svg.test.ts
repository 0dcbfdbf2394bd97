// Loss-curve SVG: the drawn elements, their bounds, an empty history.
import { describe, expect, it } from "vitest";
import type { History } from "@tapegrad/nn";
import { lossCurveSvg } from "./svg.js";

function fakeHistory(steps: number, epochs: number): History {
  return {
    stepLosses: Array.from({ length: steps }, (_, i) => 7 * Math.exp(-i / 50)),
    epochs: Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1, trainLoss: 1, trainAccuracy: 0.9, validationLoss: 1,
      validationAccuracy: 0.9 + i / 100, seconds: 1, samplesPerSecond: 100, learningRate: 1e-3,
    })),
  };
}

describe("lossCurveSvg", () => {
  const svg = lossCurveSvg({ history: fakeHistory(3000, 3), baseline: 3.25 });

  it("draws the loss, the validation accuracy and a dashed baseline", () => {
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/<polyline class="loss"/);
    expect(svg).toMatch(/<polyline class="accuracy"/);
    expect(svg).toMatch(/class="baseline"[^>]*stroke-dasharray/);
    expect(svg).toContain("constant predictor 3.250");
  });

  it("keeps every point inside the plot and at most maxPoints loss points", () => {
    const points = /class="loss"[^>]*points="([^"]+)"/.exec(svg)?.[1].split(" ") ?? [];
    expect(points.length).toBeLessThanOrEqual(1000);
    for (const p of points) {
      const [x, y] = p.split(",").map(Number);
      expect(x).toBeGreaterThanOrEqual(60);
      expect(x).toBeLessThanOrEqual(656);
      expect(y).toBeGreaterThanOrEqual(36);
      expect(y).toBeLessThanOrEqual(356);
    }
  });

  it("copes with an empty history and escapes the title", () => {
    const empty = lossCurveSvg({ history: { stepLosses: [], epochs: [] }, title: "a<b" });
    expect(empty).toContain("a&lt;b");
    expect(empty).not.toMatch(/NaN/);
  });
});
