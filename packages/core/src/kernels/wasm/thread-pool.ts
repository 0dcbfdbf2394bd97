// Helper threads for the wasm kernels: workers (Node's, or a page's Web Workers; see spawn.ts)
// share the module's memory and claim slices of a round (a product, an elementwise update or
// map) or chunks of a background gather. The control block's words are in slot-layout.ts; the
// claiming code (slices.ts) is shared with the workers as source text.
import { ROUND_SCALARS, SLICE_ARGS, SLOTS, SliceKind, controlBytes, scratchWord, sliceWord,
  timesOffset } from "./slot-layout.js";
import { type Balance, Balances } from "./balance.js";
import { debugEnabled, debugLog } from "./debug.js";
import { POOL_RUNS } from "./pool-runs.js";
import { type SliceKernels, backgroundChunk, runSlices } from "./slices.js";
import { type HelperThread, helperSpawner } from "./spawn.js";
import { ThreadChoice, type ThreadChoiceStats } from "./thread-choice.js";

const TAG_MASK = 0xffffff;
const BACKGROUND_CHUNK = 8; // rows per chunk: a few microseconds, so a round waits little
// Microseconds a helper must have been idle before it takes background chunks: a round that
// follows at once (the next product of a step) should not find it busy.
const BACKGROUND_IDLE_US = 5;
// Milliseconds a thread polls the control block before it sleeps; see WORKER_SOURCE.
const SPIN_MS = 2;
// Polls of the control block per reading of the clock while spinning (about a microsecond).
const POLLS = 64;
// Milliseconds the caller spins for the helpers' slices (or background chunks) before it
// sleeps: balanced slices end within microseconds of each other, so a helper later than this
// has likely been preempted, and a spinning caller would keep it off a busy machine's CPUs.
const WAIT_SPIN_MS = 0.1;

// Runs as a worker's script (`workerData` is defined by spawn.ts): waits for a new round, claims
// slices, sleeps again. The layout and the claiming functions come from the same definitions
// the calling thread uses.
const WORKER_SOURCE = `
const { module, memory, thread, threads, words, times: at, generation: start, epilogues, calls } =
  workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = {
  ...exports, epilogues: epilogues.map((name) => exports[name]),
  calls: calls.map((name) => exports[name]),
};
const SLOTS = ${JSON.stringify(SLOTS)};
const ctrl = new Int32Array(memory.buffer, 0, words);
const f64 = new Float64Array(memory.buffer, SLOTS.scalarsByte, ${ROUND_SCALARS});
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
    while (Atomics.load(ctrl, ${SLOTS.generation}) === generation && ++polls < ${POLLS});
    if (polls < ${POLLS}) break;
    // Parked (the caller runs rounds alone for now): sleep until a round or a gather is posted.
    if (Atomics.load(ctrl, ${SLOTS.park}) !== 0) {
      Atomics.wait(ctrl, ${SLOTS.generation}, generation);
      break;
    }
    const now = performance.now();
    const chunks = Atomics.load(ctrl, ${SLOTS.backgroundChunks});
    const idleMs = ${BACKGROUND_IDLE_US / 1000};
    if ((Atomics.load(ctrl, ${SLOTS.background}) & 255) < chunks && now - idleSince > idleMs) {
      break;
    }
    if (now > until) {
      Atomics.wait(ctrl, ${SLOTS.generation}, generation);
      break;
    }
  }
  if (Atomics.load(ctrl, ${SLOTS.stop}) !== 0) break;
  const current = Atomics.load(ctrl, ${SLOTS.generation});
  if (current !== generation) {
    generation = current;
    runSlices(ctrl, f64, generation & ${TAG_MASK}, thread, threads, kernels, times, -1, SLOTS);
    idleSince = performance.now();
  } else {
    // Chunks of the background gather until a round starts or none is left.
    while (Atomics.load(ctrl, ${SLOTS.generation}) === generation &&
      backgroundChunk(ctrl, kernels, SLOTS));
  }
}
`;

interface NodeOs {
  cpus(): Array<{ times: { idle: number } }>;
}

/**
 * The machine's idle time in milliseconds, all cores together (Node's os.cpus, about 40 µs a
 * reading), or undefined outside Node.
 */
function idleClock(): (() => number | undefined) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  const os = proc?.getBuiltinModule?.("node:os") as NodeOs | undefined;
  if (os === undefined) return undefined;
  return () => {
    try {
      return os.cpus().reduce((sum, cpu) => sum + cpu.times.idle, 0);
    } catch {
      return undefined; // a sandbox without /proc: the period alone brings trials
    }
  };
}

const STALL_MS = 30_000;

/**
 * The calling thread plus `threads − 1` workers. A round publishes up to `maxSlices` slices;
 * every thread, the caller included, claims slices until none is left, so a worker that is
 * slow to wake (or descheduled) costs no more than running the slice on the caller.
 */
export class GemmPool {
  private readonly workers: HelperThread[] = [];
  private readonly ctrl: Int32Array;
  private readonly scalars: Float64Array;
  private readonly times: Float64Array;
  private generation = 0;
  private backgroundTag = 0;
  private backgroundPending = false;
  /** Whether rounds run on the threads or on the caller alone (see ThreadChoice). */
  private readonly choice: ThreadChoice;
  private helpedRounds = 0;
  /** The caller's learned shares of this pool's rounds (`mainShare` fixes them). */
  readonly balances: Balances;
  /** The runners' paths over the threads, here so that only programs with threads bundle them. */
  readonly runs = POOL_RUNS;

  constructor(
    module: object, memory: { buffer: ArrayBufferLike },
    readonly threads: number, readonly maxSlices: number, epilogues: readonly string[],
    calls: readonly string[] = [],
    private readonly backOff = true,
    mainShare?: number,
  ) {
    this.balances = new Balances(threads, mainShare);
    const spawner = helperSpawner();
    if (typeof spawner === "string") throw new Error(`wasmMatmul: ${spawner}`);
    const words = controlBytes(threads, maxSlices) / 4;
    this.ctrl = new Int32Array(memory.buffer, 0, words);
    this.ctrl.fill(0);
    this.scalars = new Float64Array(memory.buffer, SLOTS.scalarsByte, ROUND_SCALARS);
    const times = timesOffset(threads, maxSlices);
    this.times = new Float64Array(memory.buffer, times, 2 * threads);
    this.times.fill(-1);
    this.choice = new ThreadChoice(() => performance.now(), (threaded) => this.park(!threaded),
      debugEnabled("threads") ? debugLog : undefined, idleClock());
    for (let thread = 1; thread < threads; thread++) {
      const workerData = {
        module, memory, thread, threads, words, times, generation: 0, epilogues, calls,
      };
      const worker = spawner.spawn(WORKER_SOURCE, workerData);
      worker.started.catch(() => undefined); // reported by ready(), if anyone asks
      this.workers.push(worker);
    }
  }

  /** Resolves once every helper runs its loop; rejects if one cannot start within 10 s. */
  ready(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(
        `wasmMatmul: ${this.workers.length} helper thread(s) did not start within 10 s`)), 10_000);
    });
    const started = Promise.all(this.workers.map((w) => w.started));
    return Promise.race([started, late]).then(() => undefined)
      .finally(() => clearTimeout(timer));
  }

  /** Stores the scratch pointers (gemm args 14–16) of `thread` (0 is the caller). */
  setScratch(thread: number, pa: number, pb: number, tmp: number): void {
    const p = scratchWord(thread);
    this.ctrl[p] = pa;
    this.ctrl[p + 1] = pb;
    this.ctrl[p + 2] = tmp;
  }

  /** Stores the integer arguments of `slice` (at most 16) and what it runs. */
  setSlice(slice: number, args: readonly number[], kind: number = SliceKind.gemm): void {
    const p = sliceWord(this.threads, slice);
    for (let i = 0; i < Math.min(args.length, SLICE_ARGS); i++) this.ctrl[p + i] = args[i];
    this.ctrl[p + SLOTS.kind] = kind;
  }

  /** Word `word` of `slice`'s arguments (where a slice writes back results). */
  sliceResult(slice: number, word: number): number {
    return this.ctrl[sliceWord(this.threads, slice) + word];
  }

  /** Stores the float64 arguments every slice of the next round shares. */
  setScalars(values: readonly number[]): void {
    this.scalars.set(values);
  }

  /**
   * Starts a round of `work` (proportional to its time on one thread): true if it should run
   * on the threads (`run`), false if the caller should run it alone and then call `soloDone`.
   */
  engage(work: number): boolean {
    return !this.backOff || this.choice.next(work);
  }

  /** Ends a round that `engage` gave the caller alone. */
  soloDone(): void {
    this.choice.end();
  }

  /**
   * Runs slice 0 (set with `setSlice`) on the caller alone, as a round that `engage` gave it,
   * the helpers untouched. Throws if its kernel failed.
   */
  runAlone(kernels: SliceKernels): void {
    runSlices(this.ctrl, this.scalars, -1, 0, this.threads, kernels, this.times, 0, SLOTS);
    this.choice.end();
    if (Atomics.exchange(this.ctrl, SLOTS.failed, 0) !== 0) {
      throw new Error("wasmMatmul: a kernel failed");
    }
  }

  /**
   * Parks the helpers (they sleep between rounds instead of spinning; a round or a posted
   * gather still wakes them) or unparks them. ThreadChoice does this when the mode changes.
   */
  park(parked: boolean): void {
    Atomics.store(this.ctrl, SLOTS.park, parked ? 1 : 0);
  }

  /** Whether helpers take work now (a background gather is not worth posting otherwise). */
  get engaged(): boolean {
    return !this.backOff || this.choice.threaded;
  }

  /**
   * What the choice between threads and the caller alone did so far, and in how many rounds
   * run on the threads a helper ran a slice (in the others the caller ran them all).
   */
  get stats(): Readonly<ThreadChoiceStats & { helpedRounds: number }> {
    return { ...this.choice.stats, helpedRounds: this.helpedRounds };
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
    // `next` (with the new tag) first: a helper late for the last round may hold that round's
    // `next` word, whose slice number is that round's count. Were the new count stored first, a
    // larger one would let its compare-exchange claim a slice of this round with the old tag.
    Atomics.store(ctrl, SLOTS.next, (tag << 8) | 1); // slice 0 is the caller's
    Atomics.store(ctrl, SLOTS.count, count);
    Atomics.store(ctrl, SLOTS.done, 0);
    Atomics.store(ctrl, SLOTS.generation, this.generation);
    Atomics.notify(ctrl, SLOTS.generation);
    const ran = runSlices(ctrl, this.scalars, tag, 0, this.threads, kernels, this.times, 0, SLOTS);
    const mainMs = performance.now() - start;
    const until = performance.now() + WAIT_SPIN_MS;
    for (let polls = 0; Atomics.load(ctrl, SLOTS.done) < count; polls++) {
      if (polls % POLLS === 0 && performance.now() > until) break;
    }
    const stalled = Date.now() + STALL_MS;
    for (let done = Atomics.load(ctrl, SLOTS.done); done < count;
      done = Atomics.load(ctrl, SLOTS.done)) {
      Atomics.wait(ctrl, SLOTS.done, done, 1000);
      if (Date.now() > stalled) {
        throw new Error(`wasmMatmul: helper threads stalled; ${done} of ${count} slices done`);
      }
    }
    this.choice.end();
    if (ran < count) this.helpedRounds++;
    if (Atomics.exchange(ctrl, SLOTS.failed, 0) !== 0) {
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
    Atomics.store(ctrl, SLOTS.background, this.backgroundTag << 8 | 255);
    ctrl.set(args.slice(0, 5), SLOTS.backgroundArgs);
    Atomics.store(ctrl, SLOTS.backgroundChunks, chunks);
    Atomics.store(ctrl, SLOTS.backgroundDone, 0);
    Atomics.store(ctrl, SLOTS.background, this.backgroundTag << 8); // open: chunk 0 is next
    Atomics.notify(ctrl, SLOTS.generation); // a sleeping helper wakes and finds it
  }

  /** Returns once the posted gather is done, running the chunks no helper has taken. */
  finishBackground(kernels: SliceKernels): void {
    const ctrl = this.ctrl;
    while (backgroundChunk(ctrl, kernels, SLOTS));
    const chunks = ctrl[SLOTS.backgroundChunks];
    // Helpers are running the chunks they took: spin a little, then sleep (see WAIT_SPIN_MS).
    const until = performance.now() + WAIT_SPIN_MS;
    for (let polls = 0; Atomics.load(ctrl, SLOTS.backgroundDone) < chunks; polls++) {
      if (polls % POLLS === 0 && performance.now() > until) break;
    }
    const stalled = Date.now() + STALL_MS;
    for (let done = Atomics.load(ctrl, SLOTS.backgroundDone); done < chunks;
      done = Atomics.load(ctrl, SLOTS.backgroundDone)) {
      Atomics.wait(ctrl, SLOTS.backgroundDone, done, 1000);
      if (Date.now() > stalled) throw new Error("wasmMatmul: a background gather stalled");
    }
    this.backgroundPending = false;
    if (Atomics.exchange(ctrl, SLOTS.backgroundFailed, 0) !== 0) {
      throw new Error("wasmMatmul: a background gather failed");
    }
  }

  /** Stops and terminates the workers. */
  close(): void {
    Atomics.store(this.ctrl, SLOTS.stop, 1);
    Atomics.add(this.ctrl, SLOTS.generation, 1);
    Atomics.notify(this.ctrl, SLOTS.generation);
    for (const worker of this.workers) worker.terminate();
  }
}
