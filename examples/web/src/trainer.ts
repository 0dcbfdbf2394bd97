// The page's side of the training worker: starts it, forwards its reports, and turns requests
// into promises. Stop sets a shared flag the worker reads every step where the page is
// cross-origin isolated; elsewhere it ends the worker and starts a new one.
import type { ParityResult, ParitySettings, Report, Request, TrainSettings } from "./protocol.js";

type ReadyReport = Extract<Report, { type: "ready" }>;
type DoneReport = Extract<Report, { type: "done" }>;

/** Runs training in a Web Worker and reports what it does. */
export class Trainer {
  ready!: Promise<ReadyReport>;
  private worker!: Worker;
  private pending: {
    resolve: (report: Report) => void; reject: (error: Error) => void; until: Report["type"];
  } | undefined;
  private stopFlag: Int32Array | undefined;

  constructor(private readonly onReport: (report: Report) => void) {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(new URL("./train-worker.ts", import.meta.url), { type: "module" });
    let markReady!: (report: ReadyReport) => void;
    let failReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => [markReady, failReady] = [resolve, reject]);
    this.worker.onmessage = ({ data: report }: MessageEvent<Report>) => {
      if (report.type === "ready") markReady(report);
      this.onReport(report);
      const pending = this.pending;
      if (report.type === "error") {
        failReady(new Error(report.message));
        this.pending = undefined;
        pending?.reject(new Error(report.message));
      } else if (pending !== undefined && report.type === pending.until) {
        this.pending = undefined;
        pending.resolve(report);
      }
    };
    this.worker.onerror = (event) => {
      const error = new Error(`the training worker failed: ${event.message}`);
      failReady(error);
      this.pending?.reject(error);
      this.pending = undefined;
    };
  }

  private request(message: Request & { stop?: Int32Array }, until: Report["type"]) {
    if (this.pending !== undefined) throw new Error("the worker is busy; stop it first");
    return new Promise<Report>((resolve, reject) => {
      this.pending = { resolve, reject, until };
      this.worker.postMessage(message);
    });
  }

  /** Trains as `settings` say; resolves with the final report (model, losses, accuracy). */
  async train(settings: TrainSettings): Promise<DoneReport> {
    await this.ready;
    this.stopFlag = self.crossOriginIsolated
      ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    return await this.request({ type: "train", settings, stop: this.stopFlag }, "done") as
      DoneReport;
  }

  /** Runs the seeded parity run (see parity.ts) in the worker. */
  async parity(settings: ParitySettings): Promise<ParityResult> {
    await this.ready;
    const report = await this.request({ type: "parity", settings }, "parity");
    return (report as Extract<Report, { type: "parity" }>).result;
  }

  /** Whether a request is running. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Stops training after the current step (the worker then reports "done" as usual), or, where
   * no memory can be shared with it, ends the worker and starts a new one.
   */
  stop(): void {
    if (this.pending === undefined) return;
    if (this.stopFlag !== undefined) {
      Atomics.store(this.stopFlag, 0, 1);
      return;
    }
    this.worker.terminate();
    this.pending.reject(new Error("stopped"));
    this.pending = undefined;
    this.start();
  }
}
