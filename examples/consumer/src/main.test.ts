// Consumer test: only the public packages, by name. Gradients of the spec's model, and training.
import { readFileSync } from "node:fs";
import { Rng, type Tensor, noGrad, tensor } from "@tapegrad/core";
import { allClose, gradcheck, numericGrad } from "@tapegrad/core/testing";
import { Adam, type Model, type ModelSpec, bceWithLogits, fromSpec, parseSpec } from "@tapegrad/nn";
import { describe, expect, it } from "vitest";

const spec = parseSpec(JSON.parse(readFileSync(new URL("./model.json", import.meta.url), "utf8")));

// The same two spirals as main.ts: radius in (0.2, 1], 1.25 turns, a little noise.
function twoSpirals(perClass: number, rng: Rng, dtype: "float32" | "float64" = "float32") {
  const points: number[][] = [];
  const labels: number[][] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      const t = 0.2 + (0.8 * i) / perClass;
      const angle = 2.5 * Math.PI * t + c * Math.PI;
      const noise = () => 0.02 * rng.normal();
      points.push([t * Math.cos(angle) + noise(), t * Math.sin(angle) + noise()]);
      labels.push([c]);
    }
  }
  return { x: tensor(points, { dtype }), y: tensor(labels, { dtype }) };
}

function accuracy(model: Model, x: Tensor, y: Tensor): number {
  const p = noGrad(() => model.forward(x)).data;
  let correct = 0;
  for (let i = 0; i < p.length; i++) correct += Number((p[i] > 0.5 ? 1 : 0) === y.data[i]);
  return correct / p.length;
}

describe("model.json through the public API", () => {
  it("is a valid spec that round-trips", () => {
    const model = fromSpec(spec);
    expect(JSON.stringify(model.toSpec())).toBe(JSON.stringify(spec));
    expect(model.outputActivation).toBe("sigmoid");
  });

  it("gradcheck: the float64 model's output w.r.t. its input", () => {
    const model = fromSpec({ ...spec, dtype: "float64" });
    const { x } = twoSpirals(4, new Rng(3), "float64");
    const report = gradcheck((input) => model.forward(input), [x]);
    expect(report.checked).toBe(x.size);
  });

  it("the float64 loss gradient w.r.t. every parameter matches central differences", () => {
    const f64: ModelSpec = { ...spec, dtype: "float64" };
    const model = fromSpec(f64);
    const { x, y } = twoSpirals(4, new Rng(4), "float64");
    const loss = () => bceWithLogits(model.logits(x), y);
    model.zeroGrad();
    loss().backward();
    const params = model.parameters();
    params.forEach((p, i) => {
      const numeric = numericGrad(loss, params, i);
      expect(allClose(p.grad?.data ?? [], numeric, { rtol: 1e-6, atol: 1e-8 })).toBe(true);
    });
  });

  it("trains two spirals past 95 % with Adam", () => {
    const model = fromSpec(spec);
    const { x, y } = twoSpirals(100, new Rng(7));
    const heldOut = twoSpirals(100, new Rng(8));
    expect(accuracy(model, x, y)).toBeLessThan(0.7);
    const optimizer = new Adam(model.parameters(), { learningRate: 0.02 });
    for (let step = 0; step < 300; step++) {
      optimizer.zeroGrad();
      bceWithLogits(model.logits(x), y).backward();
      optimizer.step();
    }
    expect(accuracy(model, x, y)).toBeGreaterThan(0.95);
    expect(accuracy(model, heldOut.x, heldOut.y)).toBeGreaterThan(0.95);
  });
});
