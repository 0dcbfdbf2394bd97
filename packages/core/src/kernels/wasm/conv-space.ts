// Where the convolution and pooling runners (conv-run.ts, scatter-run.ts) run: their buffers
// in WebAssembly memory (in place when resident, else copied), scratch, and rounds of call
// slices over the helper threads with a learned balance per kernel and shape.
import { shareCuts } from "./balance.js";
import { CONV_EXPORTS } from "./conv-module.js";
import type { NORM_EXPORTS } from "./norm-module.js";
import { SliceKind } from "./slot-layout.js";
import { wasmSimdAvailable } from "./runtime.js";
import { dataStart, isResident, load, reserve, roundUp, threadedScratch } from "./state.js";

/**
 * Whether the loaded module has the convolution kernels (registered before it was built, see
 * extensions.ts); the runners fall back to TypeScript otherwise.
 */
export function wasmCnnReady(): boolean {
  return wasmSimdAvailable() && load().extensions.has("cnn");
}

/** What a runner works with while its buffers are in WebAssembly memory. */
export interface WasmSpace {
  /** The module's exports, for calls on this thread. */
  readonly exports: Readonly<Record<string, (...args: number[]) => unknown>>;
  /** Views of the whole memory, current for this run. */
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  /** Pointers of the buffers, in order, then of the scratch (bytes after them). */
  readonly pointers: readonly number[];
  /** Whether kernels may leave out work on zeros (`setSkipZeros`). */
  readonly skipZeros: boolean;
  /** Threads a split runs on, and 2·`threads` i32 words where slices may leave results. */
  readonly threads: number;
  readonly counters: number;
  /**
   * Runs export `name` on slices of `count` items: with helper threads and `work` (multiply-
   * adds, or elements: at least parallelFlops / 16) worth a round, one slice per thread (the
   * caller's share learned per `key`), else one slice here. `args(start, end)` gives a slice's
   * arguments (at most 15).
   */
  split(name: (typeof CONV_EXPORTS | typeof NORM_EXPORTS)[number], key: string, count: number,
    work: number, args: (start: number, end: number) => number[]): void;
}

/**
 * Runs `body` with float32 `buffers` in WebAssembly memory and `scratchBytes` of scratch: whole
 * resident arrays are used in place, others are copied in (and, where `writes[i]`, back out
 * afterwards). Without a shared memory everything is copied into local memory and runs on this
 * thread.
 */
export function withWasmSpace(
  buffers: readonly Float32Array[], writes: readonly boolean[], scratchBytes: number,
  body: (space: WasmSpace) => void,
): void {
  const st = load();
  const shared = st.heap !== undefined;
  const inPlace = buffers.map((x) => shared && isResident(st, x));
  const sizes = buffers.map((x, i) => (inPlace[i] ? 0 : roundUp(4 * x.length + 16)));
  const threads = st.config.threads;
  const countersBytes = roundUp(8 * threads);
  const total = sizes.reduce((a, b) => a + b, 0) + roundUp(scratchBytes + 64) + countersBytes;
  const s = shared ? st.threaded : st.local;
  let base: number;
  if (shared) base = threadedScratch(st, total);
  else {
    base = dataStart(st);
    reserve(s, base + total);
  }
  const pointers: number[] = [];
  let at = base;
  buffers.forEach((x, i) => {
    if (inPlace[i]) pointers.push(x.byteOffset);
    else {
      pointers.push(at);
      s.f32.set(x, at >> 2);
      at += sizes[i];
    }
  });
  pointers.push(at);
  const buffer = s.memory.buffer;
  const space: WasmSpace = {
    exports: s.exports as unknown as WasmSpace["exports"],
    f32: s.f32.length * 4 === buffer.byteLength ? s.f32 : new Float32Array(buffer),
    i32: new Int32Array(buffer),
    pointers,
    skipZeros: st.config.skipZeros,
    threads,
    counters: base + total - countersBytes,
    split: (name, key, count, work, args) => {
      const { pool } = st;
      const run = s.exports[name] as (...a: number[]) => void;
      if (!shared || pool === undefined || work < st.config.parallelFlops / 16 || count < 2) {
        run(...args(0, count));
        return;
      }
      // The pool's choice (thread-choice.ts) may give this round to the caller alone.
      if (!pool.engage(2 * work)) {
        run(...args(0, count));
        pool.soloDone();
        return;
      }
      const balance = pool.balances.call(key);
      const cuts = shareCuts(count, pool.threads, balance.share(), 1);
      const index = st.calls.indexOf(name);
      for (let t = 0; t < pool.threads; t++) {
        pool.setSlice(t, [index, ...args(cuts[t], cuts[t + 1])], SliceKind.call);
      }
      pool.run(pool.threads, st.kernels, balance, cuts[1] / count);
    },
  };
  body(space);
  buffers.forEach((x, i) => {
    const from = pointers[i] >> 2;
    if (!inPlace[i] && writes[i]) x.set(s.f32.subarray(from, from + x.length));
  });
}
