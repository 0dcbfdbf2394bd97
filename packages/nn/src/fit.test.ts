// fit: each task trains to a stated metric; compiled and eager steps agree bit for bit; seeded
// runs repeat; validation, resuming and the options' checks.
import { Rng, manualSeed, noGrad } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { earlyStopping } from "./callbacks.js";
import { evaluate } from "./evaluate.js";
import { fit } from "./fit.js";
import type { Callback } from "./fit-types.js";
import { Adam } from "./optim/adam.js";
import { SGD } from "./optim/sgd.js";
import { blobs, quadrants, smallNet, twoMoons, wave } from "../test/fit-fixtures.js";

const adam = (model: ReturnType<typeof smallNet>, learningRate = 0.02) =>
  new Adam(model.parameters(), { learningRate });

describe("fit trains each task", { timeout: 60_000 }, () => {
  it("multiclass: softmax on integer labels, > 95 % on fresh blobs", async () => {
    const model = smallNet(3, "softmax");
    const history = await fit(model, blobs(300, 1), {
      epochs: 10, batchSize: 32, seed: 1, optimizer: adam(model),
    });
    expect(history.epochs).toHaveLength(10);
    expect(history.stepLosses).toHaveLength(100); // ceil(300 / 32) steps per epoch
    expect(history.epochs[9].trainLoss).toBeLessThan(history.epochs[0].trainLoss);
    const test = evaluate(model, blobs(300, 2));
    expect(test.accuracy).toBeGreaterThan(0.95);
    expect(test.confusion).toHaveLength(3); // read from the model's 3 outputs
    expect(test.objective.loss).toBe("crossEntropy");
  });

  it("multiclass: sigmoid outputs on one-hot rows (the seed's BCE)", async () => {
    const { x, y } = blobs(300, 1);
    const oneHot = y.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    const model = smallNet(3, "sigmoid");
    await fit(model, { x, y: oneHot }, { epochs: 10, seed: 1, optimizer: adam(model) });
    const test = evaluate(model, blobs(300, 2));
    expect(test.objective.task).toBe("multiclass");
    expect(test.accuracy).toBeGreaterThan(0.95);
  });

  it("binary: one sigmoid unit on 0/1 labels, > 95 % on fresh moons", async () => {
    const model = smallNet(1, "sigmoid", 32);
    await fit(model, twoMoons(400, 1), { epochs: 40, seed: 2, optimizer: adam(model) });
    const test = evaluate(model, twoMoons(400, 2));
    expect(test.objective.task).toBe("binary");
    expect(test.accuracy).toBeGreaterThan(0.95);
  });

  it("multilabel: two independent sigmoid outputs, > 95 % of labels right", async () => {
    const model = smallNet(2, "sigmoid");
    await fit(model, quadrants(300, 1), { epochs: 20, seed: 3, optimizer: adam(model) });
    const test = evaluate(model, quadrants(300, 2));
    expect(test.objective.task).toBe("multilabel");
    expect(test.accuracy).toBeGreaterThan(0.95);
    expect(test.perClassAccuracy).toHaveLength(2);
  });

  it("regression: MSE, MAE below 0.1 on fresh points", async () => {
    const model = smallNet(1, "identity", 32, 1, "tanh");
    const history = await fit(model, wave(400, 1), {
      epochs: 40, seed: 4, optimizer: adam(model), validationSplit: 0.25,
    });
    const last = history.epochs[history.epochs.length - 1];
    expect(last.trainAccuracy).toBeNull();
    expect(last.trainMae).toBeLessThan(0.1);
    expect(last.validationMae).toBeLessThan(0.1);
    const test = evaluate(model, wave(400, 2));
    expect(test.mae).toBeLessThan(0.1);
    expect(test.loss).toBeLessThan(test.baselineLoss / 20);
  });
});

describe("fit's steps and data flow", { timeout: 60_000 }, () => {
  for (const output of ["sigmoid", "softmax"] as const) {
    it(`compiled and eager steps give the same losses and weights (${output})`, async () => {
      const run = async (compile: boolean) => {
        const model = smallNet(3, output, 8, 5);
        // 100 samples in batches of 32: the last batch of 4 gets a trace of its own.
        const history = await fit(model, blobs(100, 3), {
          epochs: 2, batchSize: 32, seed: 1, compile, optimizer: adam(model),
        });
        return { losses: history.stepLosses, weights: model.parameters().map((p) => [...p.data]) };
      };
      const eager = await run(false);
      const compiled = await run(true);
      expect(compiled.losses).toHaveLength(8);
      expect(compiled.losses).toEqual(eager.losses);
      expect(compiled.weights).toEqual(eager.weights);
    });
  }

  it("repeats given the seed, differs for another; the default rng is reseedable", async () => {
    const losses = async (options: { seed?: number; rng?: Rng }) => {
      const model = smallNet(3, "softmax");
      return (await fit(model, blobs(64, 1), { epochs: 1, batchSize: 16, ...options }))
        .stepLosses;
    };
    expect(await losses({ seed: 3 })).toEqual(await losses({ seed: 3 }));
    expect(await losses({ seed: 4 })).not.toEqual(await losses({ seed: 3 }));
    expect(await losses({ rng: new Rng(3) })).toEqual(await losses({ seed: 3 }));
    manualSeed(9);
    const first = await losses({});
    manualSeed(9);
    expect(await losses({})).toEqual(first);
  });

  it("without shuffling takes the rows in order", async () => {
    const data = blobs(64, 1);
    const seen: number[][] = [];
    await fit(smallNet(3, "softmax"), data, {
      epochs: 1, batchSize: 16, shuffle: false,
      callbacks: [{ afterBackward: ({ x }) => { seen.push(Array.from(x.data.slice(0, 2))); } }],
    });
    expect(seen.map((r) => r.map(Math.fround))).toEqual(
      [0, 16, 32, 48].map((i) => data.x[i].map(Math.fround)));
  });

  it("validates on validationData after every epoch, with evaluate's numbers", async () => {
    const model = smallNet(3, "softmax");
    const validationData = blobs(90, 5);
    const history = await fit(model, blobs(120, 4), {
      epochs: 2, seed: 1, validationData, optimizer: adam(model),
    });
    const last = history.epochs[1];
    const check = evaluate(model, validationData);
    expect(last.validationLoss).toBe(check.loss);
    expect(last.validationAccuracy).toBe(check.accuracy);
  });

  it("continuing a history ends as one uninterrupted run, bit for bit", async () => {
    const straight = smallNet(3, "softmax");
    const whole = await fit(straight, blobs(100, 1), {
      epochs: 4, batchSize: 16, rng: new Rng(2), optimizer: new SGD(straight.parameters(), {
        learningRate: 0.1, momentum: 0.9 }),
    });
    const split = smallNet(3, "softmax");
    const rng = new Rng(2);
    const optimizer = new SGD(split.parameters(), { learningRate: 0.1, momentum: 0.9 });
    const half = await fit(split, blobs(100, 1), { epochs: 2, batchSize: 16, rng, optimizer });
    const rest = await fit(split, blobs(100, 1), {
      epochs: 4, batchSize: 16, rng, optimizer, history: half,
    });
    expect(rest.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(rest.stepLosses).toEqual(whole.stepLosses);
    expect(split.parameters().map((p) => [...p.data]))
      .toEqual(straight.parameters().map((p) => [...p.data]));
  });

  it("refuses bad options with the key, the value and what to do", async () => {
    const model = smallNet(3, "softmax");
    const data = blobs(30, 1);
    await expect(fit(model, data, { epoch: 3 } as never))
      .rejects.toThrow(/fit: unknown option "epoch"; did you mean "epochs"\?/);
    await expect(fit(model, data, { batch_size: 3 } as never))
      .rejects.toThrow(/did you mean "batchSize"\?/);
    await expect(fit(model, data, { epochs: -1 }))
      .rejects.toThrow("fit: epochs must be a non-negative integer; got -1");
    await expect(fit(model, data, { batchSize: 0 }))
      .rejects.toThrow("fit: batchSize must be a positive integer; got 0");
    await expect(fit(model, data, { seed: 1, rng: new Rng(1) }))
      .rejects.toThrow("fit: pass rng or seed, not both");
    await expect(fit(model, data, { validationSplit: 0.2, validationData: data }))
      .rejects.toThrow("fit: pass validationData or validationSplit, not both");
    const other = smallNet(3, "softmax");
    await expect(fit(model, data, { optimizer: new SGD(other.parameters(), { learningRate: 1 }) }))
      .rejects.toThrow("fit: the optimizer's params[0] is not a parameter of the model");
    const sigmoid = smallNet(3, "sigmoid");
    await expect(fit(sigmoid, data, { validationData: { x: [[1, 2]], y: [[1, 1, 0]] } }))
      .rejects.toThrow("fit: validationData's targets make a multilabel task with bce, the " +
        "training data's a multiclass task with bce; give y in the same form");
    await expect(noGrad(() => fit(model, data)))
      .rejects.toThrow("fit: called inside noGrad; gradients are needed");
  });

  it("refuses callbacks it would not call: not an array, or a misspelled hook", async () => {
    const model = smallNet(3, "softmax");
    const data = blobs(30, 1);
    await expect(fit(model, data, { callbacks: {} as never }))
      .rejects.toThrow("fit: callbacks must be an array of callbacks; got an object");
    await expect(fit(model, data, { callbacks: [null as never] }))
      .rejects.toThrow("fit: callbacks[0] must be an object of hooks (onEpochEnd, …); got null");
    const typo = { onEpochEnds: () => {} } as Callback;
    await expect(fit(model, data, { callbacks: [earlyStopping(), typo] })).rejects.toThrow(
      'fit: callbacks[1] has "onEpochEnds", which fit never calls; did you mean "onEpochEnd"?');
    // A callback's own state and helpers are its business.
    const ends: number[] = [];
    const own = { best: 0, note(e: number) { ends.push(e); }, onEpochEnd(r: { epoch: number }) {
      this.note(r.epoch);
    } };
    await fit(model, data, { epochs: 2, callbacks: [own] });
    expect(ends).toEqual([1, 2]);
    // An injected handler named like an event, and a getter that must not run before training.
    class Reporter {
      constructor(readonly onReport: (epoch: number) => void) {}
      get onEpochBegins(): never { throw new Error("a getter ran"); }
      onEpochEnd(r: { epoch: number }) { this.onReport(r.epoch); }
    }
    const reported: number[] = [];
    await fit(model, data, { epochs: 1, callbacks: [new Reporter((e) => reported.push(e))] });
    expect(reported).toEqual([1]);
  });
});
