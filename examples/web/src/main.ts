// The demo page: training in a worker with a live chart, a canvas to draw digits on, and models
// loaded from and saved to bytes. `window.demo` exposes the same actions to the browser tests.
import type { Model } from "@tapegrad/nn";
import "./style.css";
import { LiveChart } from "./chart.js";
import { DrawPad } from "./draw-pad.js";
import {
  classProbabilities, downloadModel, loadFromIndexedDb, modelFromBytes, modelFromFiles,
  saveToIndexedDb,
} from "./model-io.js";
import type { ModelBytes, Report, TrainSettings } from "./protocol.js";
import { SIDE } from "./preprocess.js";
import { Trainer } from "./trainer.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");
const form = $<HTMLFormElement>("train-form");
const chart = new LiveChart($<HTMLCanvasElement>("chart"));
const epochLog = $<HTMLOListElement>("epochs");
const pad = new DrawPad($<HTMLCanvasElement>("pad"), () => classify());
const modelError = $<HTMLParagraphElement>("model-error");
const percent = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(2)} %`);

let current: { model: Model; bytes: ModelBytes; source: string } | undefined;
let lastProbabilities: number[] | undefined;

/** Makes `bytes` the page's model (drawings are classified with it); errors are shown. */
function setModel(bytes: ModelBytes, source: string): boolean {
  try {
    current = { model: modelFromBytes(bytes, source), bytes, source };
  } catch (error) {
    modelError.textContent = (error as Error).message;
    return false;
  }
  modelError.textContent = "";
  const layers = bytes.spec.layers.map((l) => (l.type === "dense" ? l.units : l.type));
  $("model-info").textContent =
    `Current model: ${bytes.spec.input}-${layers.join("-")}, from ${source}.`;
  for (const id of ["download", "save-browser"]) $<HTMLButtonElement>(id).disabled = false;
  classify();
  return true;
}

/** Classifies the drawing with the current model and shows the probabilities. */
function classify(): number[] | undefined {
  const pixels = pad.pixels();
  const preview = $<HTMLCanvasElement>("preview").getContext("2d")!;
  const image = preview.createImageData(SIDE, SIDE);
  pixels.forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
  preview.putImageData(image, 0, 0);
  const table = $<HTMLTableElement>("probabilities");
  if (current === undefined || pixels.every((v) => v === 0)) {
    table.replaceChildren();
    $("prediction").textContent = current === undefined ? "Train or load a model first." : "";
    return (lastProbabilities = undefined);
  }
  const probabilities = classProbabilities(current.model, pixels);
  const best = probabilities.indexOf(Math.max(...probabilities));
  table.replaceChildren(...probabilities.map((p, digit) => {
    const row = document.createElement("tr");
    row.className = digit === best ? "top" : "";
    row.innerHTML = `<td>${digit}</td><td>${p.toFixed(3)}</td>` +
      `<td><span class="bar" style="width:${Math.round(200 * p)}px"></span></td>`;
    return row;
  }));
  $("prediction").textContent = `It looks like a ${best}.`;
  return (lastProbabilities = probabilities);
}

function onReport(report: Report): void {
  switch (report.type) {
    case "ready": {
      const threads = report.threads > 1
        ? `${report.threads} threads (Web Workers sharing WebAssembly memory)`
        : `1 thread (${report.singleThreadReason ?? "as asked"})`;
      $("threads").textContent = `MNIST loaded: ${report.trainCount} training and ` +
        `${report.testCount} test digits in ${report.loadSeconds.toFixed(1)} s; training on ` +
        `${threads}.`;
      $<HTMLButtonElement>("train").disabled = false;
      break;
    }
    case "step":
      if (report.step === 1 && active !== undefined) {
        const all = report.stepsPerEpoch * active.epochs;
        chart.reset(Math.min(all, active.maxSteps ?? all));
      }
      chart.addStep(report.step, report.loss);
      break;
    case "epoch": {
      const r = report.record;
      chart.addEpoch({
        step: report.step, trainAccuracy: r.trainAccuracy, validationAccuracy: r.validationAccuracy,
      });
      const line = document.createElement("li");
      line.textContent = `loss ${r.trainLoss.toFixed(4)}, accuracy ${percent(r.trainAccuracy)}` +
        `, validation ${percent(r.validationAccuracy)}, ${r.seconds.toFixed(2)} s ` +
        `(${Math.round(r.samplesPerSecond)} samples/s)`;
      epochLog.append(line);
      setModel(report.model, `training, epoch ${r.epoch}`);
      break;
    }
    case "done":
      setModel(report.model, `training (${report.steps} steps)`);
      status.textContent = `Trained ${report.steps} steps in ${report.seconds.toFixed(1)} s: ` +
        `test accuracy ${percent(report.testAccuracy)}.`;
      break;
    case "error":
      status.textContent = `Error: ${report.message}`;
      status.className = "error";
      break;
  }
}

const trainer = new Trainer(onReport);
let active: TrainSettings | undefined;

/** Trains with `settings`, keeping the buttons in step; resolves with the worker's report. */
async function train(settings: TrainSettings) {
  const [trainButton, stopButton] = [$<HTMLButtonElement>("train"), $<HTMLButtonElement>("stop")];
  [trainButton.disabled, stopButton.disabled] = [true, false];
  epochLog.replaceChildren();
  status.textContent = "Training…";
  status.className = "";
  active = settings;
  try {
    return await trainer.train(settings);
  } finally {
    [trainButton.disabled, stopButton.disabled] = [false, true];
    active = undefined;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = (name: string) => Number((form.elements.namedItem(name) as HTMLInputElement).value);
  const resume = (form.elements.namedItem("continue") as HTMLInputElement).checked;
  void train({
    epochs: value("epochs"), batchSize: value("batchSize"), learningRate: value("learningRate"),
    seed: value("seed"), ...(resume && current ? { start: current.bytes } : {}),
  }).catch((error: Error) => (status.textContent = error.message));
});
$("stop").addEventListener("click", () => trainer.stop());
$("clear").addEventListener("click", () => {
  pad.clear();
  classify();
});
$("load-files").addEventListener("click", async () => {
  const [spec, weights] = [$<HTMLInputElement>("spec-file"), $<HTMLInputElement>("weights-file")];
  if (!spec.files?.[0] || !weights.files?.[0]) {
    modelError.textContent = "Choose both files: spec.json and model.safetensors.";
    return;
  }
  try {
    const bytes = await modelFromFiles(spec.files[0], weights.files[0]);
    setModel(bytes, `${spec.files[0].name} + ${weights.files[0].name}`);
  } catch (error) {
    modelError.textContent = (error as Error).message;
  }
});
$("download").addEventListener("click", () => current && downloadModel(current.bytes));
$("save-browser").addEventListener("click", async () => {
  if (current === undefined) return;
  await saveToIndexedDb(current.bytes);
  modelError.textContent = "";
  $("model-info").textContent += " Kept in this browser.";
});
$("load-browser").addEventListener("click", async () => {
  const bytes = await loadFromIndexedDb();
  if (bytes === undefined) modelError.textContent = "No model is kept in this browser yet.";
  else setModel(bytes, "this browser's IndexedDB");
});
classify();

// The same actions for the browser tests (examples/web/test), which drive the page as a user
// would but need the values behind the display.
Object.assign(window, {
  demo: {
    ready: trainer.ready,
    train,
    parity: trainer.parity.bind(trainer),
    classify,
    lastProbabilities: () => lastProbabilities,
    currentModel: () => current && { spec: current.bytes.spec, source: current.source },
  },
});
