// The helper threads' claiming protocol under random timing: thousands of rounds of random
// slices, with the caller pausing, spinning or sleeping between them (so helpers spin, sleep or
// wake late), parking and unparking the helpers, rounds run alone, background gathers in
// flight and pools closed mid-life. Every slice must run exactly once and nothing may hang.
import { afterAll, describe, expect, it } from "vitest";
import { residentFloat32 } from "./resident.js";
import { wasmThreadsAvailable } from "./runtime.js";
import { SliceKind } from "./slot-layout.js";
import { type State, load } from "./state.js";
import { setWasmMatmulConfig } from "./threads.js";
import type { GemmPool } from "./thread-pool.js";

const runIfThreads = wasmThreadsAvailable() ? it : it.skip;

/** A seeded generator (LCG) so a failure can be replayed. */
function generator(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps `ms` (helpers parked or out of their spin go to sleep meanwhile). */
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);
/** Keeps the caller busy for `ms`. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Runs one round of random descend slices over w (w −= g, g all ones); counts coverage. The
 * kernel runs whole 4-lane vectors, so slices start and end at multiples of 4.
 */
function randomRound(
  st: State, pool: GemmPool, w: Float32Array, g: Float32Array, times: Float64Array,
  random: (n: number) => number, alone: boolean,
): void {
  const count = alone ? 1 : 1 + random(pool.threads);
  let start = 4 * random(250);
  for (let t = 0; t < count; t++) {
    // Mostly short slices, some long (a slow or preempted thread), some empty.
    const kind = random(10);
    const n = kind === 0 ? 0 : kind === 1 ? 100_000 + random(300_000) : random(4000);
    const length = Math.min(4 * Math.ceil(n / 4), w.length - start);
    pool.setSlice(t, [w.byteOffset + 4 * start, g.byteOffset + 4 * start, length],
      SliceKind.descend);
    for (let i = start; i < start + length; i++) times[i]++;
    start += length;
  }
  pool.setScalars([1]);
  if (alone) pool.runAlone(st.kernels);
  else pool.run(count, st.kernels);
}

describe("GemmPool's claiming protocol", () => {
  afterAll(() => setWasmMatmulConfig({ threads: 1 }));

  for (const threads of [2, 3]) {
    runIfThreads(`runs every slice once over 3000 random rounds (${threads} threads)`, () => {
      setWasmMatmulConfig({ threads });
      const st = load();
      const pool = st.pool!;
      const size = 500_000;
      const [w, g] = [residentFloat32(size)!, residentFloat32(size)!];
      g.fill(1);
      const times = new Float64Array(size);
      // The background gather: rows of x into out by a random index.
      const rowSize = 64;
      const x = residentFloat32(512 * rowSize)!;
      for (let i = 0; i < x.length; i++) x[i] = i;
      const out = residentFloat32(512 * rowSize)!;
      const random = generator(threads * 7919);
      let gathers = 0;
      for (let round = 0; round < 3000; round++) {
        const action = random(20);
        if (action === 0) sleep(random(40) / 10); // 0–4 ms: helpers may go to sleep
        else if (action === 1) spin(random(300) / 1000);
        else if (action === 2) pool.park(random(2) === 0);
        if (action === 3) {
          // A gather in flight across a few rounds, then waited for and checked.
          const rows = 1 + random(512);
          const index = Int32Array.from({ length: rows }, () => random(512));
          out.fill(-1);
          const ptr = st.heap!.alloc(4 * rows);
          new Int32Array(st.threaded.memory.buffer, ptr, rows).set(index);
          pool.postBackground([x.byteOffset, 4 * rowSize, ptr, rows, out.byteOffset]);
          for (let r = random(4); r > 0; r--) randomRound(st, pool, w, g, times, random, false);
          if (random(2) === 0) sleep(random(30) / 10);
          pool.finishBackground(st.kernels);
          st.heap!.free(ptr);
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < rowSize; j++) {
              if (out[r * rowSize + j] !== index[r] * rowSize + j) {
                expect.fail(`gather ${gathers}: row ${r} element ${j} is ` +
                  `${out[r * rowSize + j]}, not ${index[r] * rowSize + j}`);
              }
            }
          }
          gathers++;
        }
        randomRound(st, pool, w, g, times, random, action === 4);
      }
      let wrong = 0;
      for (let i = 0; i < size; i++) if (w[i] !== -times[i]) wrong++;
      expect(wrong).toBe(0);
      expect(gathers).toBeGreaterThan(50);
      // The helpers took part: in 250–800 rounds here, fewer on a busy machine (the caller
      // claims the slices of a helper that is late).
      expect(pool.stats.helpedRounds).toBeGreaterThan(30);
      pool.park(false);
    }, 120_000);
  }

  runIfThreads("closes pools whose helpers spin, sleep or are parked, and starts new ones", () => {
    const random = generator(99);
    for (let life = 0; life < 12; life++) {
      setWasmMatmulConfig({ threads: 2 + (life % 2) });
      const st = load();
      const pool = st.pool!;
      const w = residentFloat32(10_000)!;
      const g = residentFloat32(10_000)!;
      g.fill(1);
      const times = new Float64Array(w.length);
      for (let round = 0; round < 20; round++) randomRound(st, pool, w, g, times, random, false);
      if (life % 3 === 1) pool.park(true);
      if (life % 3 === 2) sleep(3); // helpers asleep past their spin
      expect(Array.from(w).every((v, i) => v === -times[i])).toBe(true);
    }
  });
});
