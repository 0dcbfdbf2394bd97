// End to end on real MNIST: the zero-initialised seed network plateaus at the baseline, and
// diagnose() says why; He initialisation does not.
import { baselineLoss, diagnose, targetMeans, type Finding } from "@tapegrad/nn";
import { beforeAll, describe, expect, test } from "vitest";
import { lossCurveSvg, smooth } from "./loss-curve.js";
import {
  type Data, evaluate, largestWeight, loadData, outputBiases, seedNetwork, trainFullBatch,
} from "./seed-network.js";

const COUNT = 300;
let train: Data;
beforeAll(async () => {
  ({ train } = await loadData(COUNT));
});

const codes = (findings: Finding[]): string[] => findings.map((f) => `${f.code}@${f.layer}`);

describe(`the seed's plateau on ${COUNT} real MNIST images, full-batch gradient descent`, () => {
  test("zero init: 10·ln 2 → the subset's baseline, weights exactly 0, " +
    "biases logit(p_k)", async () => {
    const baseline = baselineLoss(train.y, { loss: "bce" });
    // Real label frequencies of the first 300 training images, so a value near 3.25.
    expect(baseline).toBeGreaterThan(3.2);
    expect(baseline).toBeLessThan(3.26);
    const model = seedNetwork("zeros");
    const losses = await trainFullBatch(model, train, 40, 4);
    expect(losses[0]).toBeCloseTo(10 * Math.LN2, 4);
    const final = evaluate(model, train).loss;
    expect(Math.abs(final - baseline)).toBeLessThan(1e-3);
    expect(Math.abs(losses[39] - baseline)).toBeLessThan(1e-3);
    expect(largestWeight(model)).toBe(0);
    const p = targetMeans(train.y);
    outputBiases(model).forEach((b, k) => {
      expect(b).toBeCloseTo(Math.log(p[k] / (1 - p[k])), 3);
    });
    // The hidden biases never receive a gradient either.
    for (const [name, param] of model.namedParameters()) {
      if (name.startsWith("layers.2")) continue;
      expect(Array.from(param.data).every((v) => v === 0)).toBe(true);
    }

    const findings = diagnose(model, { x: train.x, y: train.y }, { learningRate: 4 });
    const found = codes(findings);
    // 1. the loss sits at the baseline, and every sample gets the same output
    expect(found).toContain("loss-at-baseline@loss");
    expect(found).toContain("constant-output@layers.2");
    const atBaseline = findings.find((f) => f.code === "loss-at-baseline");
    expect(atBaseline?.value).toBeCloseTo(baseline, 3);
    // 2. every weight matrix is zero
    for (const layer of ["layers.0", "layers.1", "layers.2"]) {
      expect(found).toContain(`zero-weights@${layer}`);
    }
    // 3. the seed's signature: zero weight gradient, nonzero bias gradient, on the output layer
    expect(found).toContain("weight-grad-zero@layers.2");
    expect(findings.filter((f) => f.severity === "error").length).toBeGreaterThanOrEqual(6);
  });

  test("He init: the loss falls far below the baseline, no findings 1–3", async () => {
    const baseline = baselineLoss(train.y, { loss: "bce" });
    const model = seedNetwork("heNormal");
    const before = diagnose(model, { x: train.x, y: train.y }, { learningRate: 0.5 });
    const losses = await trainFullBatch(model, train, 40, 0.5);
    const after = evaluate(model, train);
    expect(after.loss).toBeLessThan(0.5 * baseline);
    expect(after.accuracy).toBeGreaterThan(0.8);
    expect(losses.every(Number.isFinite)).toBe(true);
    const serious = [...before, ...diagnose(model, { x: train.x, y: train.y })]
      .filter((f) => f.severity === "error").map((f) => f.code);
    expect(serious).toEqual([]);
  });
});

describe("loss-curve SVG", () => {
  test("draws one path per curve, the baseline, both axes' ticks and titles", () => {
    const svg = lossCurveSvg([
      { label: "zeros", color: "#c33", points: [[0, 6.93], [1000, 4], [2000, 3.25]] },
      { label: "he & co", color: "#27c", points: [[0, 6.8], [1000, 2], [2000, Number.NaN]] },
    ], 3.2489, "samples", "title", "loss (BCE)");
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toMatch(/class="baseline"[^>]*stroke-dasharray/);
    expect(svg).toContain("constant-predictor baseline 3.2489");
    expect(svg).toContain("he &amp; co");
    const labels = (cls: string) =>
      [...svg.matchAll(new RegExp(`class="${cls}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);
    expect(labels("x-tick")).toEqual(["0", "500", "1\u2009000", "1\u2009500", "2\u2009000"]);
    expect(labels("y-tick")).toEqual(["0", "2", "4", "6", "8"]);
    expect(svg).toContain(">samples</text>");
    expect(svg).toMatch(/rotate\(-90\)[^>]*>loss \(BCE\)</);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(smooth([1, 3, 5, 7], 2)).toEqual([1, 2, 4, 6]);
  });
});
