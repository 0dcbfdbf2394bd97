// Helper threads for the wasm matmul: Node workers share its memory and claim gemm slices.

/** Words of one slice's gemm arguments (sizes, pointers, blocking, then per-thread scratch). */
export const GEMM_ARGS = 17;
/** Of those, the last 3 (packed A, packed B, edge tile) belong to the thread, not the slice. */
const SLICE_ARGS = 14;
const HEADER = 8;
const GENERATION = 0; // bumped by the caller to start a round
const DONE = 1; // slices finished in this round
const FAILED = 2; // set by a thread whose gemm threw
const COUNT = 3; // slices in this round
const STOP = 4; // set before terminating the workers
const NEXT = 5; // (round tag << 8) | next unclaimed slice
const TAG_MASK = 0xffffff;
// Milliseconds a thread polls the control block before it sleeps; see WORKER_SOURCE.
const SPIN_MS = 2;

/** Bytes the control block needs for `threads` threads (caller included) and `slices`. */
export function controlBytes(threads: number, slices: number): number {
  return 4 * (HEADER + 3 * threads + SLICE_ARGS * slices);
}

// Claims slices of the current round until none is left, running gemm on each with this
// thread's scratch. Shared by the workers (as source text) and the calling thread, so the
// claiming protocol is written once. A slice is claimed by one compare-exchange on NEXT, which
// carries the round's tag: a thread that wakes late cannot claim a slice of a later round with
// stale arguments. Which thread runs a slice does not change its arithmetic.
function runSlices(
  ctrl: Int32Array, tag: number, thread: number, maxThreads: number,
  gemm: (...args: number[]) => void,
): void {
  const h = 8; // HEADER, inlined so the function's source also works in a worker
  const scratch = h + 3 * thread;
  for (;;) {
    const cur = Atomics.load(ctrl, 5); // NEXT
    const slice = cur & 255;
    if (cur >>> 8 !== tag || slice >= Atomics.load(ctrl, 3)) return; // COUNT
    if (Atomics.compareExchange(ctrl, 5, cur, cur + 1) !== cur) continue;
    const p = h + 3 * maxThreads + 14 * slice;
    try {
      gemm(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5], ctrl[p + 6],
        ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11], ctrl[p + 12],
        ctrl[p + 13], ctrl[scratch], ctrl[scratch + 1], ctrl[scratch + 2]);
    } catch {
      Atomics.store(ctrl, 2, 1); // FAILED
    }
    Atomics.add(ctrl, 1, 1); // DONE
    Atomics.notify(ctrl, 1);
  }
}

// Runs as an eval'd CommonJS worker: waits for a new round, claims slices, sleeps again.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, thread, threads, words, generation: start } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctrl = new Int32Array(memory.buffer, 0, words);
const runSlices = ${runSlices.toString()};
let generation = start;
for (;;) {
  // Spin a while first: a round usually follows within a millisecond, and a futex wake-up
  // costs about as much as the work in a small product (more in a VM).
  const until = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctrl, ${GENERATION}) === generation && performance.now() < until);
  Atomics.wait(ctrl, ${GENERATION}, generation);
  generation = Atomics.load(ctrl, ${GENERATION});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  runSlices(ctrl, generation & ${TAG_MASK}, thread, threads, gemm);
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

/**
 * The calling thread plus `threads − 1` workers. A round publishes up to `maxSlices` gemm
 * slices; every thread, the caller included, claims slices until none is left, so a worker
 * that is slow to wake (or descheduled) costs no more than running the slice on the caller.
 */
export class GemmPool {
  private readonly workers: NodeWorker[] = [];
  private readonly ctrl: Int32Array;
  private generation = 0;

  constructor(
    module: object, memory: { buffer: ArrayBufferLike },
    readonly threads: number, readonly maxSlices: number,
  ) {
    const Worker = workerConstructor();
    if (Worker === undefined) {
      throw new Error("wasmMatmul: worker threads are not available in this runtime");
    }
    const words = controlBytes(threads, maxSlices) / 4;
    this.ctrl = new Int32Array(memory.buffer, 0, words);
    this.ctrl.fill(0);
    for (let thread = 1; thread < threads; thread++) {
      const workerData = { module, memory, thread, threads, words, generation: 0 };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.unref(); // idle helpers must not keep the process alive
      this.workers.push(worker);
    }
  }

  /** Stores the scratch pointers (gemm args 14–16) of `thread` (0 is the caller). */
  setScratch(thread: number, pa: number, pb: number, tmp: number): void {
    const p = HEADER + 3 * thread;
    this.ctrl[p] = pa;
    this.ctrl[p + 1] = pb;
    this.ctrl[p + 2] = tmp;
  }

  /** Stores the gemm arguments 0–13 of `slice`. */
  setSlice(slice: number, args: readonly number[]): void {
    const p = HEADER + 3 * this.threads + SLICE_ARGS * slice;
    for (let i = 0; i < SLICE_ARGS; i++) this.ctrl[p + i] = args[i];
  }

  /**
   * Runs slices 0..count−1 (set with `setSlice`) on every thread and returns when all are
   * done; throws if one failed or the round stalls for 30 s. `gemm` is the caller's export.
   */
  run(count: number, gemm: (...args: number[]) => void): void {
    const ctrl = this.ctrl;
    this.generation = (this.generation + 1) | 0;
    const tag = this.generation & TAG_MASK;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, COUNT, count);
    Atomics.store(ctrl, NEXT, tag << 8);
    Atomics.store(ctrl, GENERATION, this.generation);
    Atomics.notify(ctrl, GENERATION);
    runSlices(ctrl, tag, 0, this.threads, gemm);
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(ctrl, DONE) < count && performance.now() < until);
    const start = Date.now();
    for (let done = Atomics.load(ctrl, DONE); done < count; done = Atomics.load(ctrl, DONE)) {
      Atomics.wait(ctrl, DONE, done, 1000);
      if (Date.now() - start > STALL_MS) {
        throw new Error(`wasmMatmul: helper threads stalled; ${done} of ${count} slices done`);
      }
    }
    if (Atomics.exchange(ctrl, FAILED, 0) !== 0) {
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
