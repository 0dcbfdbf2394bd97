// W1, the reference MLP job (784-128-64-10, SGD, batch 128, float32; see w1-serve.ts), trained
// side by side by several trainers, each in its own process: tapegrad on the default threads and
// on one, PyTorch on 2 threads and on 1 (bench/w1_torch.py) and the NumPy seed-style code
// (bench/w1_numpy.py) when a Python with them is found. Their epochs alternate (in an order that
// rotates every epoch), so all see the same load; the report gives every epoch's seconds, the
// median of each trainer's epochs after the first (tracing and JIT warm-up), and the median of
// the per-epoch ratios. `pnpm bench:w1 [--epochs N] [--threads N] [--eager] [--loop] [--load]
// [--js] [--relaxed-simd] [--dense] [--no-python] [--baseline DIR]`: --eager adds tapegrad's
// eager tape through fit; --loop adds the plain loop a user writes (loss.backward(),
// optimizer.step(), optimizer.zeroGrad()) on the default threads and on one, and with its
// parameters moved (moveToResident); --load runs a
// busy-loop process alongside (a busy core, as on a laptop or CI box) and adds tapegrad on the
// default threads without the back-off (threaded work always split, as before); --baseline
// adds the W1 of another checkout (built, with this w1-serve.ts and fast-kernels.ts copied into
// its bench/); --dense turns off the skipping of all-zero steps in products; TAPEGRAD_PYTHON
// picks the Python.
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultDataDir } from "@tapegrad/mnist";
import { MNIST_PATHS, W1Process, benchScript, findPython } from "./w1-process.js";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "5" },
    threads: { type: "string" },
    js: { type: "boolean" },
    eager: { type: "boolean" },
    loop: { type: "boolean" },
    load: { type: "boolean" },
    "relaxed-simd": { type: "boolean" },
    dense: { type: "boolean" },
    "no-python": { type: "boolean" },
    baseline: { type: "string" },
  },
});
const epochs = Number(values.epochs);
if (!Number.isInteger(epochs) || epochs < 2) {
  throw new RangeError(`bench:w1: --epochs must be an integer ≥ 2; got ${values.epochs}`);
}
const threads = Number(values.threads ?? (availableParallelism() >= 2 ? 2 : 1));

/** A trainer to start: its label, and how. */
interface Plan {
  label: string;
  start: () => Promise<W1Process | { reason: string }>;
}
const plans: Plan[] = [];
const notRun: string[] = [];
const tapegrad = (label: string, extra: string[], serve = benchScript("w1-serve.ts")): Plan => ({
  label,
  start: () => W1Process.start(label, process.execPath, [
    "--import", "tsx", serve, "--epochs", String(epochs),
    ...(values.js === true ? ["--js"] : []),
    ...(values["relaxed-simd"] === true ? ["--relaxed-simd"] : []),
    ...(values.dense === true ? ["--dense"] : []), ...extra,
  ]),
});
const main = `tapegrad ${threads}T`;
plans.push(tapegrad(main, ["--threads", String(threads)]));
if (threads !== 1 && values.js !== true) {
  plans.push(tapegrad("tapegrad 1T", ["--threads", "1"]));
  // Under load, also the threads as they were before the back-off (always split).
  if (values.load === true) {
    plans.push(tapegrad(`tapegrad ${threads}T no back-off`,
      ["--threads", String(threads), "--no-back-off"]));
  }
}
if (values.baseline !== undefined) {
  // Another checkout (built, with this w1-serve.ts and fast-kernels.ts in its bench/).
  plans.push(tapegrad(`baseline ${threads}T`, ["--threads", String(threads)],
    join(values.baseline, "bench", "w1-serve.ts")));
}
if (values.eager === true) {
  plans.push(tapegrad(`tapegrad eager ${threads}T`, ["--threads", String(threads), "--eager"]));
}
if (values.loop === true) {
  plans.push(tapegrad(`tapegrad loop ${threads}T`, ["--threads", String(threads), "--loop"]));
  plans.push(tapegrad(`tapegrad loop moved ${threads}T`,
    ["--threads", String(threads), "--loop", "--move"]));
  if (threads !== 1 && values.js !== true) {
    plans.push(tapegrad("tapegrad loop 1T", ["--threads", "1", "--loop"]));
  }
}
const data = MNIST_PATHS.map((name) => `${defaultDataDir()}/${name}`);
// Under --load PyTorch's OpenMP threads spin against the competitor (20–35 s an epoch here).
const python = values["no-python"] !== true && values.load !== true;
if (values.load === true && values["no-python"] !== true) {
  notRun.push("PyTorch, NumPy: not run with --load (PyTorch's OpenMP threads spin against " +
    "the competitor: 10–35 s an epoch on 2 threads on the 2-core machine)");
}
if (python) {
  const torch = findPython("torch");
  if ("python" in torch) {
    for (const n of [2, 1]) {
      plans.push({
        label: `PyTorch ${n}T`,
        start: () => W1Process.start(`PyTorch ${n}T`, torch.python,
          [benchScript("w1_torch.py"), String(n), ...data, "--serve"]),
      });
    }
  } else {
    notRun.push(`PyTorch: not run (${torch.reason})`);
  }
  const numpy = findPython("numpy");
  if ("python" in numpy) {
    plans.push({
      label: "NumPy 1T",
      start: () => W1Process.start("NumPy 1T", numpy.python,
        [benchScript("w1_numpy.py"), ...data, "--serve"],
        { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" }),
    });
  } else {
    notRun.push(`NumPy seed code: not run (${numpy.reason})`);
  }
}

const loadText = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const loadAtStart = loadText();
let competitor: ChildProcess | undefined;
if (values.load === true) {
  // One process spinning for the whole run: a core taken by someone else.
  competitor = spawn(process.execPath, ["-e", "for (;;);"], { stdio: "ignore" });
  process.on("exit", () => competitor?.kill());
}

const trainers: W1Process[] = [];
for (const plan of plans) {
  const started = await plan.start();
  if (started instanceof W1Process) trainers.push(started);
  else notRun.push(`${plan.label}: not run (${started.reason})`);
}
const seconds = new Map<string, number[]>(trainers.map((t) => [t.label, []]));
const lastLoss = new Map<string, number>();
for (let epoch = 0; epoch < epochs; epoch++) {
  for (let i = 0; i < trainers.length; i++) {
    const trainer = trainers[(i + epoch) % trainers.length];
    const answer = await trainer.epoch();
    seconds.get(trainer.label)!.push(answer.seconds);
    lastLoss.set(trainer.label, answer.lastLoss);
  }
}
const accuracy = new Map<string, number>();
for (const trainer of trainers) {
  accuracy.set(trainer.label, await trainer.accuracy());
  trainer.close();
}
competitor?.kill();
const loadAtEnd = loadText();

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const fixed = (xs: readonly number[], digits: number) => xs.map((x) => x.toFixed(digits));
const warm = (xs: readonly number[]) => xs.slice(1);

console.log(`W1: ${epochs} epochs per trainer, alternating; load average ${loadAtStart} at ` +
  `start, ${loadAtEnd} at end` + (competitor !== undefined ? "; with a busy-loop competitor" : ""));
for (const trainer of trainers) {
  const xs = seconds.get(trainer.label)!;
  const m = median(warm(xs));
  const about = trainer.ready.backend ?? trainer.ready.torch ?? "";
  console.log(`${trainer.label.padEnd(24)} epoch s ${fixed(xs, 3).join(" ")}; median ` +
    `${m.toFixed(3)} s (${Math.round(60000 / m)} samples/s); test accuracy ` +
    `${(100 * accuracy.get(trainer.label)!).toFixed(2)} %; last loss ` +
    `${lastLoss.get(trainer.label)} ${about === "" ? "" : `[${String(about)}]`}`);
}
/** The median over epochs after the first of a's epoch seconds over b's. */
function ratio(a: string, b: string, target?: string): void {
  const xs = seconds.get(a);
  const ys = seconds.get(b);
  if (xs === undefined || ys === undefined || a === b) return;
  const rs = warm(xs.map((x, i) => x / ys[i]));
  console.log(`${a} / ${b}: ${fixed(rs, 2).join(" ")}; median ${median(rs).toFixed(2)}` +
    (target === undefined ? "" : ` (target ${target})`));
}
ratio(main, "tapegrad 1T", values.load === true ? "≤ 1.10 under load" : "< 1 on a quiet host");
ratio(`tapegrad ${threads}T no back-off`, "tapegrad 1T");
ratio(`tapegrad eager ${threads}T`, main, "≤ 1.50");
ratio(`tapegrad loop ${threads}T`, main, "≤ 1.50");
ratio(`tapegrad loop ${threads}T`, "tapegrad loop 1T");
ratio(`tapegrad loop moved ${threads}T`, main, "≤ 1.50");
ratio(main, `baseline ${threads}T`);
ratio(main, "PyTorch 2T", "≤ 1.00");
ratio(main, "PyTorch 1T");
ratio("PyTorch 2T", "PyTorch 1T");
ratio(main, "NumPy 1T");
// The tapegrad trainers (and a baseline checkout) differ in threads, the tape or speed only, so
// their results must be the same bits.
const ours = trainers.filter((t) => /^(tapegrad|baseline)/.test(t.label))
  .map((t) => `${lastLoss.get(t.label)}/${accuracy.get(t.label)}`);
if (new Set(ours).size > 1) {
  console.log(`MISMATCH: tapegrad's trainers ended with different loss/accuracy: ${ours}`);
  process.exitCode = 1;
}
for (const line of notRun) console.log(line);
