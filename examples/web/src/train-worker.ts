// The training worker: MNIST fetched and parsed once, the seed network trained through fit on
// two threads (helpers of this worker, sharing its WebAssembly memory) where the page is
// cross-origin isolated, progress posted to the page as it goes.
import { setNumThreads, threadsReady } from "@tapegrad/core";
import { Adam, evaluate, fit, fromSpec, seedSpec } from "@tapegrad/nn";
import { splitData, splitMnist } from "@tapegrad/mnist/browser";
import { fetchMnist } from "./mnist-fetch.js";
import { modelFromBytes, modelToBytes } from "./model-io.js";
import { parityRun } from "./parity.js";
import type { ParitySettings, Report, Request, TrainSettings } from "./protocol.js";

const scope = self as unknown as {
  postMessage(message: Report): void;
  onmessage: ((event: MessageEvent<Request & { stop?: Int32Array }>) => void) | null;
};
const post = (report: Report): void => scope.postMessage(report);
// Progress is posted at most this often (the chart redraws per animation frame anyway).
const STEP_REPORT_MS = 50;

/** Threads as the CLI chooses them: two where there are two cores, if this page may. */
async function startThreads(): Promise<{ threads: number; reason?: string }> {
  if ((navigator.hardwareConcurrency ?? 1) < 2) return { threads: 1, reason: "one core" };
  try {
    setNumThreads(2);
    // A worker's helpers start only once it returns to its event loop: wait for them here,
    // since fit's steps never yield.
    return { threads: await threadsReady() };
  } catch (error) {
    setNumThreads(1); // a failed start (no shared memory, say) must not leave 2 configured
    return { threads: 1, reason: (error as Error).message };
  }
}

async function load() {
  const started = performance.now();
  const { threads, reason } = await startThreads();
  const files = await fetchMnist(import.meta.env.BASE_URL);
  const data = splitMnist(files); // 55,000 to train on, 5,000 to validate, 10,000 to test
  post({
    type: "ready", threads, isolated: self.crossOriginIsolated,
    ...(reason === undefined ? {} : { singleThreadReason: reason }),
    trainCount: data.train.indices.length, testCount: data.test.indices.length,
    loadSeconds: (performance.now() - started) / 1000,
  });
  return { files, data };
}

type Loaded = Awaited<ReturnType<typeof load>>;

async function train(
  { data }: Loaded, settings: TrainSettings, stop: Int32Array | undefined,
): Promise<void> {
  const { epochs, batchSize, learningRate, seed, maxSteps, start } = settings;
  const model = start === undefined
    ? fromSpec({ ...seedSpec(), seed }) : modelFromBytes(start, "the model to continue");
  const optimizer = new Adam(model.parameters(), { learningRate });
  const started = performance.now();
  let lastReport = 0;
  const history = await fit(model, splitData(data.train), {
    epochs, batchSize, optimizer, seed: seed + 1, validationData: splitData(data.validation),
    onStep: (info, run) => {
      const now = performance.now();
      if (now - lastReport > STEP_REPORT_MS || info.batch === info.batches) {
        lastReport = now;
        post({
          type: "step", step: info.step, epoch: info.epoch, loss: info.loss,
          epochLoss: info.epochLoss, epochAccuracy: info.epochAccuracy,
          stepsPerEpoch: run.stepsPerEpoch,
        });
      }
      if (maxSteps !== undefined && info.step >= maxSteps) {
        run.stop("callback", `stopped after ${maxSteps} steps`);
      }
      if (stop !== undefined && Atomics.load(stop, 0) !== 0) run.stop("callback", "stopped");
    },
    onEpochEnd: (record, run) => post({
      type: "epoch", record, model: modelToBytes(model), step: run.history.stepLosses.length,
    }),
  });
  const losses = history.stepLosses;
  post({
    type: "done", model: modelToBytes(model), steps: losses.length,
    firstLoss: losses[0], lastLoss: losses[losses.length - 1],
    testAccuracy: evaluate(model, splitData(data.test)).accuracy,
    seconds: (performance.now() - started) / 1000,
  });
}

async function parity({ files }: Loaded, settings: ParitySettings): Promise<void> {
  post({ type: "parity", result: await parityRun(files, settings) });
}

const loaded = load();
loaded.catch((error: Error) => post({ type: "error", message: error.message }));
// Requests run one at a time, in order; the handler is set at once so none is missed.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = ({ data: request }) => {
  queue = queue.then(async () => {
    try {
      const ready = await loaded;
      if (request.type === "train") await train(ready, request.settings, request.stop);
      else await parity(ready, request.settings);
    } catch (error) {
      post({ type: "error", message: (error as Error).message });
    }
  });
};
