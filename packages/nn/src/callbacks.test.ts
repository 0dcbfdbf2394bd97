// Callbacks: the order of hooks, early stopping with best weights, checkpoints every N epochs,
// the learning rate on a plateau, the training monitor and progress output.
import { describe, expect, it } from "vitest";
import {
  checkpoint, earlyStopping, monitorTraining, reduceLrOnPlateau, type Snapshot,
} from "./callbacks.js";
import type { EpochRecord } from "./fit-types.js";
import { fit } from "./fit.js";
import { Dense } from "./dense.js";
import { TrainingMonitor } from "./monitor.js";
import { Sequential } from "./sequential.js";
import { SGD } from "./optim/sgd.js";
import { progress } from "./progress.js";
import { blobs, smallNet, wave } from "../test/fit-fixtures.js";

/** A callback that feeds fixed validation losses to the records it sees (for the watchers). */
const faked = (losses: number[]) => ({
  onEpochEnd(record: EpochRecord) {
    (record as { validationLoss: number }).validationLoss = losses[record.epoch - 1];
  },
});

describe("callbacks", { timeout: 60_000 }, () => {
  it("run their hooks in order, with afterBackward before the update", async () => {
    const events: string[] = [];
    const model = smallNet(3, "softmax");
    await fit(model, blobs(40, 1), {
      epochs: 2, batchSize: 20, seed: 1,
      callbacks: [{
        onTrainBegin: (run) => { events.push(`begin ${run.epochs}x${run.stepsPerEpoch}`); },
        onEpochBegin: (epoch) => { events.push(`epoch ${epoch}`); },
        afterBackward: ({ step }, run) => {
          events.push(`grad ${step} ${run.optimizer.stepCount}`);
        },
        onStep: (info) => { events.push(`step ${info.step}/${info.batch}`); },
        onEpochEnd: (record) => { events.push(`end ${record.epoch}`); },
        onTrainEnd: (history) => { events.push(`done ${history.epochs.length}`); },
      }],
      onStep: (info) => { events.push(`hook ${info.step}`); },
    });
    expect(events).toEqual([
      "begin 2x2", "epoch 1", "grad 1 0", "step 1/1", "hook 1", "grad 2 1", "step 2/2", "hook 2",
      "end 1", "epoch 2", "grad 3 2", "step 3/1", "hook 3", "grad 4 3", "step 4/2", "hook 4",
      "end 2", "done 2",
    ]);
  });

  it("earlyStopping stops after `patience` epochs without improvement and restores the best",
    async () => {
      const model = smallNet(3, "softmax");
      const weights: number[][][] = [];
      const history = await fit(model, blobs(40, 1), {
        epochs: 10, seed: 1, validationSplit: 0.5,
        callbacks: [
          faked([0.9, 0.5, 0.6, 0.55, 0.4]),
          { onEpochEnd: () => { weights.push(model.parameters().map((p) => [...p.data])); } },
          earlyStopping({ patience: 2, restoreBestWeights: true }),
        ],
      });
      expect(history.epochs).toHaveLength(4);
      expect(history.stopped).toEqual({
        reason: "earlyStopping", epoch: 4,
        message: "validationLoss did not improve for 2 epochs; the best was 0.5 at epoch 2 " +
          "(its weights are restored)",
      });
      expect(model.parameters().map((p) => [...p.data])).toEqual(weights[1]);
    });

  it("earlyStopping refuses to watch what the run does not have", async () => {
    const fitWith = (callback: ReturnType<typeof earlyStopping>, regression = false) =>
      regression
        ? fit(smallNet(1, "identity"), wave(20, 1), { callbacks: [callback] })
        : fit(smallNet(3, "softmax"), blobs(20, 1), { callbacks: [callback] });
    await expect(fitWith(earlyStopping())).rejects.toThrow("earlyStopping: monitors " +
      "validationLoss but fit has no validation data; pass validationData or validationSplit, " +
      "or monitor trainLoss");
    await expect(fitWith(earlyStopping({ monitor: "trainMae" })))
      .rejects.toThrow(/monitors trainMae, which only regression has/);
    await expect(fitWith(earlyStopping({ monitor: "trainAccuracy" }), true))
      .rejects.toThrow(/a regression task has no accuracy/);
    expect(() => earlyStopping({ monitor: "valLoss" as "trainLoss" }))
      .toThrow(/monitor must be one of validationLoss, validationAccuracy/);
    expect(() => earlyStopping({ patience: -1 })).toThrow(/patience must be an integer ≥ 0/);
  });

  it("checkpoint hands a snapshot to the writer every N epochs and after the last", async () => {
    const written: Array<[number, number, number]> = [];
    const write = async (s: Snapshot) => {
      await Promise.resolve();
      written.push([s.epoch, s.history.epochs.length, s.optimizer.stepCount]);
    };
    const model = smallNet(3, "softmax");
    await fit(model, blobs(40, 1), {
      epochs: 5, batchSize: 20, seed: 1, callbacks: [checkpoint({ every: 2, write })],
    });
    expect(written).toEqual([[2, 2, 4], [4, 4, 8], [5, 5, 10]]);
    // An early stop is written too.
    const stopped: number[] = [];
    await fit(smallNet(3, "softmax"), blobs(40, 1), {
      epochs: 6, seed: 1, callbacks: [
        checkpoint({ every: 4, write: (s) => { stopped.push(s.epoch); } }),
        {
          onEpochEnd: (record, run) => {
            if (record.epoch === 3) run.stop("callback", "enough");
          },
        },
      ],
    });
    expect(stopped).toEqual([3]);
    expect(() => checkpoint({ write, every: 0 })).toThrow(/every must be a positive integer/);
  });

  it("reduceLrOnPlateau lowers the rate after `patience` flat epochs, down to the minimum",
    async () => {
      const model = smallNet(3, "softmax");
      const optimizer = new SGD(model.parameters(), { learningRate: 0.1 });
      const history = await fit(model, blobs(40, 1), {
        epochs: 7, batchSize: 40, seed: 1, optimizer, validationSplit: 0.25,
        callbacks: [faked([1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), reduceLrOnPlateau({
          factor: 0.5, patience: 2, minLearningRate: 0.03 })],
      });
      expect(history.epochs.map((e) => e.learningRate)).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05,
        0.03]);
      expect(optimizer.stateDict().learningRateScale).toBeCloseTo(0.3, 15);
    });

  it("monitorTraining feeds the monitor a running mean and fit's findings", async () => {
    const monitor = new TrainingMonitor({ window: 2, plateauTolerance: 1 });
    const losses: number[] = [];
    await fit(smallNet(3, "softmax"), blobs(60, 1), {
      epochs: 1, batchSize: 20, seed: 1, callbacks: [monitorTraining(monitor, { average: 2 })],
      onStep: (info) => { losses.push(info.loss); },
    });
    expect(monitor.history).toEqual([losses[0], (losses[0] + losses[1]) / 2,
      (losses[1] + losses[2]) / 2]);
    expect(monitor.findings.map((f) => f.code)).toEqual(["plateau"]);
  });

  it("monitorTraining reports a loss at the data's baseline over two epochs (zero weights)",
    async () => {
      const zeroed = () => new Sequential([
        new Dense({ inputSize: 2, outputSize: 16, activation: "relu", init: "zeros" }),
        new Dense({ inputSize: 16, outputSize: 3, activation: "softmax", init: "zeros" }),
      ]);
      const told: string[] = [];
      const baselines: number[] = [];
      const monitor = new TrainingMonitor({ onFinding: (f) => told.push(f.message) });
      await fit(zeroed(), blobs(60, 1), {
        epochs: 3, batchSize: 20, seed: 1, callbacks: [monitorTraining(monitor)],
        onEpochEnd: (_, run) => { baselines.push(run.baseline); },
      });
      // Balanced classes: the best constant prediction is (1/3, 1/3, 1/3), loss ln 3.
      expect(baselines[0]).toBeCloseTo(Math.log(3), 12);
      expect(monitor.findings.map((f) => f.code)).toEqual(["loss-at-baseline"]);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(new RegExp("^the loss is 1\\.09\\d* over a whole epoch, 2 epochs " +
        "in a row, the constant-predictor baseline 1\\.09\\d*: the model predicts the label " +
        "frequencies \\(or the targets' mean\\) and ignores its input$"));
      // The same data with He-initialised weights learns: nothing to report.
      const learning = new TrainingMonitor();
      await fit(smallNet(3, "softmax"), blobs(60, 1), {
        epochs: 3, batchSize: 20, seed: 1, callbacks: [monitorTraining(learning)],
      });
      expect(learning.findings).toEqual([]);
    });

  it("judges the epoch loss against the baseline relative to it (a small baseline)", () => {
    // A regression whose targets vary by 0.008: a model at 0.003 explains most of it.
    const learning = new TrainingMonitor();
    learning.baselineEpoch(0.003, 0.008);
    expect(learning.baselineEpoch(0.003, 0.008)).toEqual([]);
    const stuck = new TrainingMonitor();
    stuck.baselineEpoch(0.008001, 0.008);
    expect(stuck.baselineEpoch(0.007999, 0.008).map((f) => f.code)).toEqual(["loss-at-baseline"]);
  });

  it("progress writes a bar to one sink and a line per epoch to another", async () => {
    const bar: string[] = [];
    const lines: string[] = [];
    const shown = progress({ bar: { write: (t) => bar.push(t), columns: 200 },
      lines: { write: (t) => lines.push(t) } });
    await fit(smallNet(3, "softmax"), blobs(40, 1), {
      epochs: 2, batchSize: 20, seed: 1, callbacks: [shown],
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^epoch 2\/2 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}val_loss — {2}/);
    expect(bar.some((t) => /^\repoch 1\/2 █+░* 1\/2 {2}loss \d\.\d{4} {2}acc /.test(t)))
      .toBe(true);
    expect(bar[bar.length - 1]).toBe("\r\x1b[K"); // cleared before the epoch line
    const regression: string[] = [];
    await fit(smallNet(1, "identity"), wave(20, 1), {
      callbacks: [progress({ lines: { write: (t) => regression.push(t) } })],
    });
    expect(regression[0])
      .toMatch(/^epoch 1\/1 {2}loss \d\.\d{4} {2}mae \d\.\d{4} {2}val_loss — {2}val_mae — /);
  });
});
