// The W1 bench page: runs W1 in a worker, one epoch per go(); `window.bench` lets
// scripts/bench-w1.ts alternate the page's epochs with Node's. The button runs them back to back.
import type { BenchReport, BenchRequest } from "./bench-worker.js";

type Ready = Extract<BenchReport, { type: "ready" }>;
const worker = new Worker(new URL("./bench-worker.ts", import.meta.url), { type: "module" });
const log = document.getElementById("log")!;
// Reports after "ready", in order, and whoever waits for them.
const reports: BenchReport[] = [];
const waiting: Array<(report: BenchReport) => void> = [];
let markReady!: (report: Ready) => void;
const ready = new Promise<Ready>((resolve) => (markReady = resolve));
worker.onmessage = ({ data }: MessageEvent<BenchReport>) => {
  log.textContent += `${JSON.stringify(data)}\n`;
  if (data.type === "ready") markReady(data);
  else if (waiting.length > 0) waiting.shift()!(data);
  else reports.push(data);
};
const send = (request: BenchRequest) => worker.postMessage(request);
const next = () => reports.length > 0
  ? Promise.resolve(reports.shift()!)
  : new Promise<BenchReport>((resolve) => waiting.push(resolve));

/** Runs the next epoch and resolves with its seconds (or the final report). */
async function go(): Promise<BenchReport> {
  const report = next();
  send({ type: "go" });
  return report;
}

document.getElementById("run")!.addEventListener("click", async () => {
  const epochs = 3;
  await ready;
  send({ type: "start", epochs });
  for (let i = 0; i < epochs; i++) await go();
  await next();
});

Object.assign(window, {
  bench: { ready, start: (epochs: number) => send({ type: "start", epochs }), go, next },
});
