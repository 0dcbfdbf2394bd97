// Helper threads for the wasm matmul: Node workers share its memory and each runs gemm on a slice.

/** Words of the control block at byte 0 of the shared memory: a header, then gemm arguments. */
export const GEMM_ARGS = 17;
const HEADER = 8;
const GENERATION = 0; // bumped by the caller to start a round
const DONE = 1; // workers finished in this round
const FAILED = 2; // set by a worker whose gemm threw
const STOP = 4; // set before terminating the workers
// Milliseconds a thread polls the control block before it sleeps; see WORKER_SOURCE.
const SPIN_MS = 1;

/** Bytes the control block needs for `workers` helper threads. */
export function controlBytes(workers: number): number {
  return 4 * (HEADER + GEMM_ARGS * workers);
}

// Runs as an eval'd CommonJS worker: waits for a new generation, runs its slot's gemm, reports.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, slot, words, generation: start } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctrl = new Int32Array(memory.buffer, 0, words);
const p = ${HEADER} + ${GEMM_ARGS} * slot;
let generation = start;
for (;;) {
  // Spin a while first: a round usually follows within a few hundred microseconds, and a
  // futex wake-up costs about as much as the work in a small product (more in a VM).
  const until = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctrl, ${GENERATION}) === generation && performance.now() < until);
  Atomics.wait(ctrl, ${GENERATION}, generation);
  generation = Atomics.load(ctrl, ${GENERATION});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  try {
    gemm(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5], ctrl[p + 6],
      ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11], ctrl[p + 12],
      ctrl[p + 13], ctrl[p + 14], ctrl[p + 15], ctrl[p + 16]);
  } catch {
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerConstructor = new (
  source: string, options: { eval: true; workerData: unknown },
) => NodeWorker;

/** The Node worker constructor, or undefined outside Node (browsers would need a Worker file). */
function workerConstructor(): WorkerConstructor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  const threads = proc?.getBuiltinModule?.("node:worker_threads") as
    { Worker?: WorkerConstructor; isMainThread?: boolean } | undefined;
  return threads?.Worker;
}

/** Whether helper threads can be started in this runtime. */
export function threadsAvailable(): boolean {
  return workerConstructor() !== undefined && typeof Atomics.wait === "function";
}

const STALL_MS = 30_000;

/** A fixed set of workers that each run gemm on their slot's arguments, then report. */
export class GemmPool {
  private readonly workers: NodeWorker[] = [];
  private readonly ctrl: Int32Array;

  constructor(module: object, memory: { buffer: ArrayBufferLike }, readonly size: number) {
    const Worker = workerConstructor();
    if (Worker === undefined) {
      throw new Error("wasmMatmul: worker threads are not available in this runtime");
    }
    const words = HEADER + GEMM_ARGS * size;
    this.ctrl = new Int32Array(memory.buffer, 0, words);
    this.ctrl.fill(0);
    for (let slot = 0; slot < size; slot++) {
      const workerData = { module, memory, slot, words, generation: 0 };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.unref(); // idle helpers must not keep the process alive
      this.workers.push(worker);
    }
  }

  /** Stores gemm arguments for worker `slot` (argument count GEMM_ARGS). */
  setArgs(slot: number, args: readonly number[]): void {
    const p = HEADER + GEMM_ARGS * slot;
    for (let i = 0; i < GEMM_ARGS; i++) this.ctrl[p + i] = args[i];
  }

  /** Wakes every worker; each runs the arguments in its slot. */
  start(): void {
    Atomics.store(this.ctrl, DONE, 0);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
  }

  /** Blocks until all workers report; throws if one failed or none answers for 30 s. */
  wait(): void {
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(this.ctrl, DONE) < this.size && performance.now() < until);
    const start = Date.now();
    for (let done = Atomics.load(this.ctrl, DONE); done < this.size;
      done = Atomics.load(this.ctrl, DONE)) {
      Atomics.wait(this.ctrl, DONE, done, 1000);
      if (Date.now() - start > STALL_MS) {
        throw new Error(`wasmMatmul: helper threads stalled; ${done} of ${this.size} answered`);
      }
    }
    if (Atomics.exchange(this.ctrl, FAILED, 0) !== 0) {
      throw new Error("wasmMatmul: a helper thread's gemm failed");
    }
  }

  /** Stops and terminates the workers. */
  close(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
    for (const worker of this.workers) void worker.terminate();
  }
}
