// fit's eager steps: float32 parameters move into the kernels' memory, as compiled steps move
// them, and SGD updates them there; the losses and weights stay those of the compiled steps, bit
// for bit, on 1 and 2 threads, float32 and float64, and writes through p.data between runs count.
import { getBackend, getNumThreads, setNumThreads } from "@tapegrad/core";
import { afterEach, describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { Dense } from "./dense.js";
import { SGD } from "./optim/sgd.js";
import { Sequential } from "./sequential.js";
import { blobs } from "../test/fit-fixtures.js";

// A 200×200 layer: its SGD update (40,000 elements) is split over two threads.
const net = (dtype: "float32" | "float64") => new Sequential([
  new Dense({ inputSize: 2, outputSize: 200, activation: "relu", seed: 1, dtype }),
  new Dense({ inputSize: 200, outputSize: 200, activation: "leakyRelu", seed: 2, dtype }),
  new Dense({ inputSize: 200, outputSize: 3, activation: "sigmoid", seed: 3, dtype }),
]);

async function train(model: Sequential, compile: boolean) {
  const optimizer = new SGD(model.parameters(), { learningRate: 0.05, momentum: 0.5 });
  const history = await fit(model, blobs(96, 2), {
    epochs: 2, batchSize: 32, seed: 3, compile, optimizer,
  });
  return { losses: history.stepLosses, weights: model.parameters().map((p) => [...p.data]) };
}

const threads = getNumThreads();
afterEach(() => setNumThreads(threads));
const twoThreads = (() => {
  try {
    setNumThreads(2);
    return true;
  } catch {
    return false;
  } finally {
    setNumThreads(threads);
  }
})();

describe("fit's eager steps", { timeout: 60_000 }, () => {
  for (const n of twoThreads ? [1, 2] : [1]) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`keep the compiled steps' losses and weights (${dtype}, ${n} thread(s))`, async () => {
        setNumThreads(n);
        const eagerModel = net(dtype);
        const eager = await train(eagerModel, false);
        const compiled = await train(net(dtype), true);
        expect(eager.losses).toHaveLength(6);
        expect(eager.losses).toEqual(compiled.losses);
        expect(eager.weights).toEqual(compiled.weights);
        const backend = getBackend();
        for (const p of eagerModel.parameters()) {
          expect(backend.isResident(p.data)).toBe(dtype === "float32");
        }
      });
    }
  }

  it("use a parameter's values as written through p.data between runs", async () => {
    const [a, b] = [net("float32"), net("float32")];
    await train(a, false); // a's parameters now live in the kernels' memory
    a.parameters().forEach((p, i) => {
      p.data.fill(0.01 * (i + 1)); // in place, after eager steps used them
      b.parameters()[i].data.fill(0.01 * (i + 1));
    });
    expect(await train(a, false)).toEqual(await train(b, true));
  });
});
