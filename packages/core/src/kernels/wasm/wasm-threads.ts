// Helper threads for the wasm kernels: Node workers share their memory and claim slices of a
// product (gemm) or of an elementwise update (SGD, Adam).

/** The gemm export's arguments: sizes, pointers and blocking, then 3 of per-thread scratch. */
export const GEMM_ARGS = 17;
/**
 * Words of a slice's own arguments: a gemm's first 14 (its scratch is the thread's), then the
 * epilogue number + 1 (0: none) and the bias pointer; other kinds use fewer.
 */
const SLICE_ARGS = 16;
/** A slice is its arguments and then its kind. */
const SLICE_WORDS = SLICE_ARGS + 1;
/** What a slice runs: `SliceKind.gemm` takes 17 i32 arguments, the others theirs plus scalars. */
export const SliceKind = {
  gemm: 0, descend: 1, adamW: 2, adamL2: 3, gatherRows: 4, map: 5, call: 6,
} as const;
/**
 * The maps a `SliceKind.map` slice runs, by number (activation-module.ts); its arguments are
 * [number, input pointers (3 words, unused ones 0), output pointer, count].
 */
export const MAP_KERNELS = ["softplus", "sigmoid", "bceLogits", "bceLogitsGrad"] as const;
const HEADER = 16;
/** Float64 arguments shared by every slice of a round (a learning rate, Adam's constants). */
const ROUND_SCALARS = 10;
const GENERATION = 0; // bumped by the caller to start a round
const DONE = 1; // slices finished in this round
const FAILED = 2; // set by a thread whose gemm threw
const COUNT = 3; // slices in this round
const STOP = 4; // set before terminating the workers
const NEXT = 5; // (round tag << 8) | next unclaimed slice
// The background gather, in chunks of rows: words 6 ((job tag << 8) | next unclaimed chunk),
// 7 (chunks done), then 8–13: source, row bytes, index array, rows, destination, chunks, and
// 14 (set if a chunk failed). The tag keeps a helper that read one job's words from claiming
// a chunk of the next.
const BACKGROUND = 6;
const BACKGROUND_ARGS = 8;
const BACKGROUND_FAILED = 14;
const BACKGROUND_CHUNK = 8; // rows per chunk: a few microseconds, so a round waits little
// Microseconds a helper must have been idle before it takes background chunks: a round that
// follows at once (the next product of a step) should not find it busy.
const BACKGROUND_IDLE_US = 5;
const TAG_MASK = 0xffffff;
// Milliseconds a thread polls the control block before it sleeps; see WORKER_SOURCE.
const SPIN_MS = 2;
// Polls of the control block per reading of the clock while spinning (about a microsecond).
const POLLS = 64;

/** Bytes the control block needs for `threads` threads (caller included) and `slices`. */
export function controlBytes(threads: number, slices: number): number {
  return timesOffset(threads, slices) + 8 * 2 * threads;
}

/** Where each thread reports [round tag, ms busy] of its last round: after the i32 words. */
const timesOffset = (threads: number, slices: number): number =>
  8 * Math.ceil((HEADER + 2 * ROUND_SCALARS + 3 * threads + SLICE_WORDS * slices) / 2);

/**
 * How work is shared between the calling thread (slice 0) and the others, learned from the
 * rounds run so far. Cores are not equally fast: on a shared host one may run a third slower
 * than the other for seconds at a time, and a helper may start late. Equal slices would leave
 * the faster thread waiting, so each round's slice 0 gets the share that would have made the
 * last rounds finish together. Which thread computes what never changes the arithmetic.
 */
export class Balance {
  /** Estimated speed of a helper thread relative to the caller's (moving average). */
  private ratio = 1;

  constructor(private readonly threads: number, private readonly fixed?: number) {}

  /** The caller's share of the next round's work, in (0, 1). */
  share(): number {
    return this.fixed ?? 1 / (1 + this.ratio * (this.threads - 1));
  }

  /**
   * Learns from one round: the caller did `fraction` of the work in `mainMs`; the slowest
   * helper finished its part `helperMs` after the round started.
   */
  learn(fraction: number, mainMs: number, helperMs: number): void {
    if (!(mainMs > 0 && helperMs > 0 && fraction > 0 && fraction < 1)) return;
    const helperShare = (1 - fraction) / (this.threads - 1);
    const observed = (helperShare / helperMs) / (fraction / mainMs);
    const clamped = Math.min(5, Math.max(0.2, observed));
    this.ratio += 0.2 * (clamped - this.ratio);
  }
}

/** The exports a slice may call (the module's). */
export interface SliceKernels {
  gemm(...args: number[]): void;
  descend(...args: number[]): void;
  adamW(...args: number[]): void;
  adamL2(...args: number[]): void;
  gatherRows(...args: number[]): void;
  softplus(...args: number[]): void;
  sigmoid(...args: number[]): void;
  bceLogits(...args: number[]): void;
  bceLogitsGrad(...args: number[]): void;
  /** The epilogue exports (c, bias, m, n, slope, ldc) by number; see `EPILOGUE_NAMES`. */
  epilogues: ReadonlyArray<
    (c: number, bias: number, m: number, n: number, slope: number, ldc: number) => void>;
  /** Exports a `SliceKind.call` slice runs by number, with up to 15 i32 arguments. */
  calls: ReadonlyArray<(...args: number[]) => void>;
}

// Claims slices of the current round until none is left, running each (gemm with this thread's
// scratch). Shared by the workers (as source text) and the calling thread, so the claiming
// protocol is written once. A slice is claimed by one compare-exchange on NEXT, which carries
// the round's tag: a thread that wakes late cannot claim a slice of a later round with stale
// arguments. Which thread runs a slice does not change its arithmetic.
function runSlices(
  ctrl: Int32Array, f64: Float64Array, tag: number, thread: number, maxThreads: number,
  k: SliceKernels, times: Float64Array, own: number,
): number {
  // HEADER, ROUND_SCALARS words and SLICE_WORDS (17) inlined so the source works in a worker.
  const base = 16 + 20;
  const scratch = base + 3 * thread;
  const start = performance.now();
  let ran = 0;
  for (;; ran++) {
    let slice = own;
    if (ran > 0 || own < 0) {
      const cur = Atomics.load(ctrl, 5); // NEXT
      slice = cur & 255;
      if (cur >>> 8 !== tag || slice >= Atomics.load(ctrl, 3)) return ran; // COUNT
      if (Atomics.compareExchange(ctrl, 5, cur, cur + 1) !== cur) { ran--; continue; }
    }
    const p = base + 3 * maxThreads + 17 * slice;
    const kind = ctrl[p + 16];
    try {
      if (kind === 0) {
        k.gemm(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5],
          ctrl[p + 6], ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11],
          ctrl[p + 12], ctrl[p + 13], ctrl[scratch], ctrl[scratch + 1], ctrl[scratch + 2]);
        // Then the bias and activation of its block (args 14–15: epilogue + 1, the bias at its
        // first column), while it is in cache.
        const epilogue = ctrl[p + 14] - 1;
        if (epilogue >= 0) {
          k.epilogues[epilogue](ctrl[p + 6], ctrl[p + 15], ctrl[p + 8], ctrl[p + 9], f64[0],
            ctrl[p + 7]);
        }
      } else if (kind === 1) {
        k.descend(ctrl[p], ctrl[p + 1], ctrl[p + 2], f64[0]);
      } else if (kind === 6) {
        // An export by number (its i32 arguments follow; unused ones are ignored).
        k.calls[ctrl[p]](ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5],
          ctrl[p + 6], ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11],
          ctrl[p + 12], ctrl[p + 13], ctrl[p + 14], ctrl[p + 15]);
      } else if (kind === 4) {
        k.gatherRows(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4]);
      } else if (kind === 5) {
        // A map, by its number in MAP_KERNELS: inputs at p + 1.., output p + 4, count p + 5.
        const map = ctrl[p];
        if (map === 0) k.softplus(ctrl[p + 1], ctrl[p + 4], ctrl[p + 5]);
        else if (map === 1) k.sigmoid(ctrl[p + 1], ctrl[p + 4], ctrl[p + 5]);
        else if (map === 2) k.bceLogits(ctrl[p + 1], ctrl[p + 2], ctrl[p + 4], ctrl[p + 5]);
        else k.bceLogitsGrad(ctrl[p + 1], ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5]);
      } else {
        (kind === 2 ? k.adamW : k.adamL2)(ctrl[p], ctrl[p + 1], ctrl[p + 2], ctrl[p + 3],
          ctrl[p + 4], f64[0], f64[1], f64[2], f64[3], f64[4], f64[5], f64[6], f64[7], f64[8]);
      }
    } catch {
      Atomics.store(ctrl, 2, 1); // FAILED
    }
    // Busy time so far, reported before DONE so the caller reads it once all are done.
    times[2 * thread] = tag;
    times[2 * thread + 1] = performance.now() - start;
    Atomics.add(ctrl, 1, 1); // DONE
    Atomics.notify(ctrl, 1);
  }
}

// Claims and runs one chunk of the background gather; false when none is left. Shared by the
// workers (as source text) and the caller, like runSlices; words as BACKGROUND describes.
function backgroundChunk(ctrl: Int32Array, k: SliceKernels): boolean {
  const cur = Atomics.load(ctrl, 6);
  const chunks = Atomics.load(ctrl, 13);
  const chunk = cur & 255;
  if (chunk >= chunks) return false;
  if (Atomics.compareExchange(ctrl, 6, cur, cur + 1) !== cur) return true;
  const [src, rowBytes, index, rows, dst] = [ctrl[8], ctrl[9], ctrl[10], ctrl[11], ctrl[12]];
  const per = Math.ceil(rows / chunks);
  const first = chunk * per;
  const count = Math.min(per, rows - first);
  try {
    if (count > 0) k.gatherRows(src, rowBytes, index + 4 * first, count, dst + first * rowBytes);
  } catch {
    Atomics.store(ctrl, 14, 1); // BACKGROUND_FAILED: finishBackground throws
  }
  Atomics.add(ctrl, 7, 1);
  return true;
}

// Runs as an eval'd CommonJS worker: waits for a new round, claims slices, sleeps again.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, thread, threads, words, times: at, generation: start, epilogues, calls } =
  workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = {
  ...exports, epilogues: epilogues.map((name) => exports[name]),
  calls: calls.map((name) => exports[name]),
};
const ctrl = new Int32Array(memory.buffer, 0, words);
const f64 = new Float64Array(memory.buffer, ${4 * HEADER}, ${ROUND_SCALARS});
const times = new Float64Array(memory.buffer, at, 2 * threads);
const runSlices = ${runSlices.toString()};
const backgroundChunk = ${backgroundChunk.toString()};
let generation = start;
let idleSince = performance.now();
for (;;) {
  // Spin a while first: a round usually follows within a millisecond, and a futex wake-up
  // costs about as much as the work in a small product (more in a VM). A posted background
  // gather runs once this thread has been idle a little while.
  const until = performance.now() + ${SPIN_MS};
  for (;;) {
    // The clock is read once per ${POLLS} polls: performance.now() allocates (spinning on it
    // alone made this thread collect garbage every 30 ms) and takes about 50 ns.
    let polls = 0;
    while (Atomics.load(ctrl, ${GENERATION}) === generation && ++polls < ${POLLS});
    if (polls < ${POLLS}) break;
    const now = performance.now();
    if ((Atomics.load(ctrl, ${BACKGROUND}) & 255) < Atomics.load(ctrl, ${BACKGROUND_ARGS + 5}) &&
      now - idleSince > ${BACKGROUND_IDLE_US / 1000}) break;
    if (now > until) {
      Atomics.wait(ctrl, ${GENERATION}, generation);
      break;
    }
  }
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  const current = Atomics.load(ctrl, ${GENERATION});
  if (current !== generation) {
    generation = current;
    runSlices(ctrl, f64, generation & ${TAG_MASK}, thread, threads, kernels, times, -1);
    idleSince = performance.now();
  } else {
    // Chunks of the background gather until a round starts or none is left.
    while (Atomics.load(ctrl, ${GENERATION}) === generation && backgroundChunk(ctrl, kernels));
  }
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
  private readonly scalars: Float64Array;
  private readonly times: Float64Array;
  private generation = 0;
  private backgroundTag = 0;
  private backgroundPending = false;

  constructor(
    module: object, memory: { buffer: ArrayBufferLike },
    readonly threads: number, readonly maxSlices: number, epilogues: readonly string[],
    calls: readonly string[] = [],
  ) {
    const Worker = workerConstructor();
    if (Worker === undefined) {
      throw new Error("wasmMatmul: worker threads are not available in this runtime");
    }
    const words = controlBytes(threads, maxSlices) / 4;
    this.ctrl = new Int32Array(memory.buffer, 0, words);
    this.ctrl.fill(0);
    this.scalars = new Float64Array(memory.buffer, 4 * HEADER, ROUND_SCALARS);
    const times = timesOffset(threads, maxSlices);
    this.times = new Float64Array(memory.buffer, times, 2 * threads);
    this.times.fill(-1);
    for (let thread = 1; thread < threads; thread++) {
      const workerData = {
        module, memory, thread, threads, words, times, generation: 0, epilogues, calls,
      };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.unref(); // idle helpers must not keep the process alive
      this.workers.push(worker);
    }
  }

  /** Stores the scratch pointers (gemm args 14–16) of `thread` (0 is the caller). */
  setScratch(thread: number, pa: number, pb: number, tmp: number): void {
    const p = HEADER + 2 * ROUND_SCALARS + 3 * thread;
    this.ctrl[p] = pa;
    this.ctrl[p + 1] = pb;
    this.ctrl[p + 2] = tmp;
  }

  /** Stores the integer arguments of `slice` (at most 16) and what it runs. */
  setSlice(slice: number, args: readonly number[], kind: number = SliceKind.gemm): void {
    const p = HEADER + 2 * ROUND_SCALARS + 3 * this.threads + SLICE_WORDS * slice;
    for (let i = 0; i < Math.min(args.length, SLICE_ARGS); i++) this.ctrl[p + i] = args[i];
    this.ctrl[p + SLICE_ARGS] = kind;
  }

  /** Stores the float64 arguments every slice of the next round shares. */
  setScalars(values: readonly number[]): void {
    this.scalars.set(values);
  }

  /**
   * Runs slices 0..count−1 (set with `setSlice`) and returns when all are done: the caller runs
   * slice 0 (its share, see `Balance`), then every thread claims slices until none is left.
   * With `balance`, the round's timing updates it; `fraction` is slice 0's part of the work.
   * Throws if a slice failed or the round stalls for 30 s. `kernels` are the caller's exports.
   */
  run(count: number, kernels: SliceKernels, balance?: Balance, fraction = 0): void {
    const ctrl = this.ctrl;
    const start = performance.now();
    this.generation = (this.generation + 1) | 0;
    const tag = this.generation & TAG_MASK;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, COUNT, count);
    Atomics.store(ctrl, NEXT, (tag << 8) | 1); // slice 0 is the caller's
    Atomics.store(ctrl, GENERATION, this.generation);
    Atomics.notify(ctrl, GENERATION);
    const ran = runSlices(ctrl, this.scalars, tag, 0, this.threads, kernels, this.times, 0);
    const mainMs = performance.now() - start;
    const until = performance.now() + SPIN_MS;
    for (let polls = 0; Atomics.load(ctrl, DONE) < count; polls++) {
      if (polls % POLLS === 0 && performance.now() > until) break;
    }
    const stalled = Date.now() + STALL_MS;
    for (let done = Atomics.load(ctrl, DONE); done < count; done = Atomics.load(ctrl, DONE)) {
      Atomics.wait(ctrl, DONE, done, 1000);
      if (Date.now() > stalled) {
        throw new Error(`wasmMatmul: helper threads stalled; ${done} of ${count} slices done`);
      }
    }
    if (Atomics.exchange(ctrl, FAILED, 0) !== 0) {
      throw new Error("wasmMatmul: a helper thread's kernel failed");
    }
    // Learn only from rounds where every thread ran its own slice.
    if (balance !== undefined && ran === 1 && count === this.threads) {
      const roundMs = performance.now() - start;
      let helperMs = 0;
      for (let t = 1; t < this.threads; t++) {
        if (this.times[2 * t] !== tag) return;
        helperMs = Math.max(helperMs, this.times[2 * t + 1]);
      }
      // A helper that finished after the caller held the round up from its start (late
      // wake-ups included); one that finished first reported its own busy time.
      balance.learn(fraction, mainMs, roundMs > mainMs + 0.002 ? roundMs : helperMs);
    }
  }

  /**
   * Posts a row gather (gatherRows' arguments) for a helper to run when it is idle; at most one
   * at a time. `finishBackground` waits for it.
   */
  postBackground(args: readonly number[]): void {
    const ctrl = this.ctrl;
    if (this.backgroundPending) throw new Error("GemmPool: a background gather is pending");
    this.backgroundPending = true;
    this.backgroundTag = (this.backgroundTag + 1) & TAG_MASK;
    // Rows per chunk keep chunks under 256 (the claim word's low byte).
    const chunks = Math.min(255, Math.max(1, Math.ceil(args[3] / BACKGROUND_CHUNK)));
    // Closed while set up: chunk 255 is past any job's last, even against a stale chunk count.
    Atomics.store(ctrl, BACKGROUND, this.backgroundTag << 8 | 255);
    ctrl.set(args.slice(0, 5), BACKGROUND_ARGS);
    Atomics.store(ctrl, BACKGROUND_ARGS + 5, chunks);
    Atomics.store(ctrl, BACKGROUND + 1, 0);
    Atomics.store(ctrl, BACKGROUND, this.backgroundTag << 8); // open: chunk 0 is next
    Atomics.notify(ctrl, GENERATION); // a sleeping helper wakes and finds it
  }

  /** Returns once the posted gather is done, running the chunks no helper has taken. */
  finishBackground(kernels: SliceKernels): void {
    const ctrl = this.ctrl;
    while (backgroundChunk(ctrl, kernels));
    const chunks = ctrl[BACKGROUND_ARGS + 5];
    const stalled = Date.now() + STALL_MS;
    while (Atomics.load(ctrl, BACKGROUND + 1) < chunks) {
      if (Date.now() > stalled) throw new Error("wasmMatmul: a background gather stalled");
    }
    this.backgroundPending = false;
    if (Atomics.exchange(ctrl, BACKGROUND_FAILED, 0) !== 0) {
      throw new Error("wasmMatmul: a background gather failed");
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
