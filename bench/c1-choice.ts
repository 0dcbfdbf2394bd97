// What the pool's thread choice costs or saves C1, measured in one process: blocks of compiled
// C1 steps (bench/c1-network.ts) alternate between the choice (threads or the caller alone,
// ThreadChoice) and always splitting over the threads (what --no-back-off does), so a change of
// the machine's load falls on both alike. Prints each block's mean ms per step (what the choice
// costs includes its trials' few slow steps, which a median would leave out), the ratio
// choice / always-split of each pair of blocks, their median and that of the blocks' median
// steps, and the choice's counters.
// Usage: node --import tsx bench/c1-choice.ts [PAIRS=16] [STEPS_PER_BLOCK=100] [THREADS=2]
import { loadavg } from "node:os";
import { setNumThreads } from "@tapegrad/core";
import { GemmPool } from "../packages/core/dist/kernels/wasm/thread-pool.js";
import { type C1Batch, c1Network } from "./c1-network.js";

const blocks = Number(process.argv[2] ?? 16);
const stepsPerBlock = Number(process.argv[3] ?? 100);
setNumThreads(Number(process.argv[4] ?? 2));

// The pool's own engage (the choice) or, while `split` is set, every round on the threads with
// the helpers unparked; the choice, not called meanwhile, leaves the block out as a pause.
let split = false;
let pool: GemmPool | undefined;
const { engage } = GemmPool.prototype;
GemmPool.prototype.engage = function (this: GemmPool, work: number) {
  pool = this;
  return split ? true : engage.call(this, work);
};
// Background gathers go to the helpers whenever they take work, as with --no-back-off.
const engaged = Object.getOwnPropertyDescriptor(GemmPool.prototype, "engaged")?.get;
Object.defineProperty(GemmPool.prototype, "engaged", {
  get(this: GemmPool) {
    return split || (engaged?.call(this) as boolean);
  },
});
const setSplit = (on: boolean) => {
  split = on;
  // Helpers parked by the choice would sleep between the split rounds: unpark them (and park
  // them again on the way back if the choice had them parked).
  if (pool !== undefined) pool.park(!pool.engaged);
};

const { step, optimizer, labels, batchStream } = await c1Network();
const stream = batchStream();
const runBlock = (): { mean: number; median: number } => {
  const times: number[] = [];
  for (let s = 0; s < stepsPerBlock; s++) {
    const { x, setLabels } = stream.next().value as C1Batch;
    const t0 = performance.now();
    setLabels();
    step(x, labels);
    optimizer.step();
    times.push(performance.now() - t0);
  }
  return { mean: times.reduce((a, b) => a + b) / times.length, median: median(times) };
};
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

runBlock(); // warm-up: tracing, compilation, the first dense steps
const load0 = loadavg()[0];
const [ratios, medianRatios]: number[][] = [[], []];
for (let b = 0; b < blocks; b++) {
  // Pairs in alternating order (choice first, then split first), so a trend falls on both.
  const order = b % 2 === 0 ? [false, true] : [true, false];
  const ms = order.map((on) => {
    setSplit(on);
    return runBlock();
  });
  setSplit(false);
  const [choice, always] = order[0] ? [ms[1], ms[0]] : [ms[0], ms[1]];
  ratios.push(choice.mean / always.mean);
  medianRatios.push(choice.median / always.median);
  console.log(`pair ${b}: choice ${choice.mean.toFixed(2)} ms/step, always split ` +
    `${always.mean.toFixed(2)}; ratio ${(choice.mean / always.mean).toFixed(3)}`);
}
const stats = pool?.stats;
console.log(`choice / always split, median of ${ratios.length} pairs of ${stepsPerBlock} steps: ` +
  `${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–` +
  `${Math.max(...ratios).toFixed(3)}; of the median steps ${median(medianRatios).toFixed(3)}); ` +
  `load average ${load0.toFixed(2)} at start, ` +
  `${loadavg()[0].toFixed(2)} at end`);
if (stats !== undefined) {
  console.log(`choice counters (warm-up and choice blocks): ${stats.soloRounds} of ` +
    `${stats.soloRounds + stats.threadedRounds} rounds alone, ${stats.trials} trials, ` +
    `${stats.switches} switches`);
}
