// Where a compiled C1 step's time goes, kernel by kernel: bench/c1-steps.ts's network run
// through a backend that times every kernel call (by its place in the step), printing each
// call's median µs (wall, and CPU of the whole process), its share of the step, the step time
// outside the kernels, and the thread rounds per step.
// Usage: node --import tsx bench/c1-profile.ts [THREADS=2] [STEPS=300]
import { type Backend, getBackend, setBackend, setNumThreads } from "@tapegrad/core";
import { GemmPool } from "../packages/core/dist/kernels/wasm/thread-pool.js";
import { c1Network } from "./c1-network.js";

// Rounds a step posts to the helpers, and rounds the pool's choice gave the caller alone.
const rounds = { threaded: 0, solo: 0 };
const { run, engage } = GemmPool.prototype;
GemmPool.prototype.run = function (this: GemmPool, ...args: Parameters<typeof run>) {
  rounds.threaded++;
  return run.apply(this, args);
};
GemmPool.prototype.engage = function (this: GemmPool, work: number) {
  const threaded = engage.call(this, work);
  if (!threaded) rounds.solo++;
  return threaded;
};

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 300);
setNumThreads(threads);
// Per call: wall ms and the process's CPU ms (all threads: on 1 thread, robust to a busy host).
const calls: { name: string; detail: string; times: number[]; cpu: number[] }[] = [];
let callIndex = 0;
const shapeOf = (args: Record<string, unknown>): string => Object.entries(args)
  .filter(([, v]) => ArrayBuffer.isView(v) || Array.isArray(v))
  .map(([k, v]) => `${k}${Array.isArray(v) ? `[${v.join(",")}]` : (v as Float32Array).length}`)
  .join(" ");
const inner = getBackend();
const timed = Object.fromEntries(Object.entries(inner).map(([name, fn]) => {
  if (typeof fn !== "function" || name === "residentStorage" || name === "isResident") {
    return [name, fn];
  }
  return [name, (args: Record<string, unknown>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = (fn as (a: unknown) => unknown)(args);
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const i = callIndex++;
    calls[i] ??= { name, detail: shapeOf(args ?? {}), times: [], cpu: [] };
    calls[i].times.push(t);
    calls[i].cpu.push((c.user + c.system) / 1000);
    return r;
  }];
})) as unknown as Backend;
setBackend(timed);

const { step, optimizer, labels, batchStream } = await c1Network();
const total: number[] = [];
for (const { x, setLabels } of batchStream()) {
  callIndex = 0;
  if (total.length === 5) { // the first step records: different calls
    calls.length = 0;
    [rounds.threaded, rounds.solo] = [0, 0];
  }
  const t0 = performance.now();
  setLabels();
  step(x, labels);
  optimizer.step();
  total.push(performance.now() - t0);
  if (total.length >= steps) break;
}
const median = (xs: number[]) => {
  const s = xs.slice(Math.min(50, xs.length >> 1)).sort((a, b) => a - b);
  return s[s.length >> 1];
};
const stepMs = median(total);
let [inKernels, cpuInKernels] = [0, 0];
console.log(`C1 step, ${threads} thread(s): median ${stepMs.toFixed(2)} ms over ${steps} steps`);
for (const [i, c] of calls.entries()) {
  if (c === undefined) continue;
  const m = median(c.times);
  const cpu = median(c.cpu);
  inKernels += m;
  cpuInKernels += cpu;
  if (m < 0.02) continue;
  const us = (x: number) => (x * 1000).toFixed(0).padStart(6);
  console.log(`${String(i).padStart(3)} ${c.name.padEnd(18)} ${us(m)} µs ` +
    `${(100 * m / stepMs).toFixed(1).padStart(5)} %, CPU ${us(cpu)} µs  ${c.detail}`);
}
const counted = total.length - 5;
console.log(`thread rounds per step: ${(rounds.threaded / counted).toFixed(1)} posted to the ` +
  `helpers, ${(rounds.solo / counted).toFixed(1)} given to the caller alone (the pool's choice)`);
console.log(`kernels (sum of medians) ${inKernels.toFixed(2)} ms (CPU ` +
  `${cpuInKernels.toFixed(2)} ms); outside them ${(stepMs - inKernels).toFixed(2)} ms`);
