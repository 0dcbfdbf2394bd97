// `pnpm size`: bundles two browser programs with esbuild (minified) and prints what each package
// and the largest files add: bench/size/train-program.ts (a realistic model-defining and training
// program, held to the budget) and bench/size/grad-program.ts (tensors and gradients only). Fails
// on any Node built-in, over the budget, when a bundle carries code it must not (the thread pool,
// the JSON Schema generator, the instruction builder `Code`), or when a bundle does not run as it
// should.
// `pnpm size --metafile out.json` also writes the training program's esbuild metafile.
// `pnpm size --budget-report` prints the budget check without failing on it (CI, while the
// budget is not met: see docs/contributing.md); every other check still fails the run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type Metafile, build } from "esbuild";

/** Minified bytes allowed for core + nn (and what they pull in) in the training program. */
const BUDGET = 150_000;
const root = join(import.meta.dirname, "..");
const outDir = mkdtempSync(join(tmpdir(), "tapegrad-size-"));
const failures: string[] = [];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1).padStart(6)} KB`;

interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles `bench/size/<name>.ts` for the browser; null (with failures) if it cannot. */
async function bundle(name: string): Promise<Bundle | null> {
  const entry = join(import.meta.dirname, "size", `${name}.ts`);
  const file = join(outDir, `${name}.mjs`);
  let metafile: Metafile;
  try {
    ({ metafile } = await build({
      entryPoints: [entry], outfile: file, bundle: true, minify: true, format: "esm",
      platform: "browser", metafile: true, logLevel: "silent", absWorkingDir: root,
    }));
  } catch (err) {
    // esbuild cannot resolve node:fs and friends for the browser: each one is an error here.
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string } }> })
      .errors;
    if (!errors) throw err;
    for (const e of errors) failures.push(`${name}: ${e.location?.file ?? entry}: ${e.text}`);
    return null;
  }
  // Also refuse a built-in that was resolved (say, marked external by a future option).
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const imported of imports) {
      if (builtins.has(imported.path) || imported.path.startsWith("node:")) {
        failures.push(`${name}: ${input} imports the Node built-in ${imported.path}`);
      }
    }
  }
  const [output] = Object.values(metafile.outputs);
  return { file, bytes: output.bytes, metafile };
}

/** Prints the bundle's bytes by package and its `top` largest files. */
function report(title: string, { file: out, bytes, metafile }: Bundle, top: number): void {
  const [output] = Object.values(metafile.outputs);
  const files = Object.entries(output.inputs).map(([file, { bytesInOutput }]) =>
    ({ file, owner: ownerOf(file), bytes: bytesInOutput }));
  const shares = new Map<string, number>();
  for (const { owner, bytes: n } of files) shares.set(owner, (shares.get(owner) ?? 0) + n);
  const gzipped = gzipSync(readFileSync(out)).length;
  console.log(`${title}: ${kb(bytes).trim()} (esbuild, minified, for the browser; ` +
    `${kb(gzipped).trim()} gzipped)`);
  for (const [owner, n] of [...shares].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${owner.padEnd(18)} ${kb(n)}`);
    if (!owner.startsWith("@tapegrad/")) continue;
    // Its folders of 5 KB or more (core's kernels/ and kernels/wasm/, say).
    const folders = new Map<string, number>();
    for (const f of files.filter((x) => x.owner === owner)) {
      const parts = shortName(f.file).split("/").slice(1, -1);
      for (let depth = 1; depth <= parts.length; depth++) {
        const folder = `${parts.slice(0, depth).join("/")}/`;
        folders.set(folder, (folders.get(folder) ?? 0) + f.bytes);
      }
    }
    for (const [folder, m] of [...folders].filter(([, m]) => m >= 5000).sort()) {
      console.log(`    ${folder.padEnd(16)} ${kb(m)}`);
    }
  }
  console.log(`  largest files:`);
  for (const { file, bytes: n } of files.sort((a, b) => b.bytes - a.bytes).slice(0, top)) {
    console.log(`    ${kb(n)}  ${shortName(file)}`);
  }
}

/** Runs a bundle with Node and parses the one JSON line it prints. */
function run<T>({ file }: Bundle): T {
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: "utf8" }).trim()) as T;
}

const train = await bundle("train-program");
const grad = await bundle("grad-program");
if (train !== null) {
  report("bench/size/train-program.ts (spec, fit, evaluate, safetensors)", train, 15);
  const headroom = BUDGET - train.bytes;
  const percent = ((100 * headroom) / BUDGET).toFixed(1);
  console.log(`  budget ${kb(BUDGET).trim()}: ` + (headroom >= 0
    ? `${kb(headroom).trim()} of headroom (${percent} %)`
    : `${kb(-headroom).trim()} OVER`));
  if (headroom < 0) {
    const over = `the training program is ${train.bytes} bytes; budget ${BUDGET}`;
    if (process.argv.includes("--budget-report")) console.log(`  NOT MET (reported only): ${over}`);
    else failures.push(over);
  }
  // The JSON Schema generator is for tools (`modelSpecJsonSchema`), never for a training program.
  const inputs = Object.keys(Object.values(train.metafile.outputs)[0].inputs);
  const generator = inputs.filter((f) => /to-json-schema|spec-json-schema/.test(f));
  if (generator.length > 0) failures.push(`the JSON Schema generator is bundled: ${generator}`);
  // Its model has dense layers only: no other layer class, and none of the schemas, shape
  // rules or PyTorch entries such classes bring (each class holds its own as statics).
  const unused = new RegExp("nn/dist/(conv[12]d|(max|avg|global-avg)-pool2d|flatten|dropout|" +
    "batch-norm|layer-norm|embedding|torch-layers|spec-layers)\\.js$");
  const layers = inputs.filter((f) => unused.test(f));
  if (layers.length > 0) failures.push(`layer classes it does not use are bundled: ${layers}`);
  const metafileAt = process.argv.indexOf("--metafile");
  if (metafileAt >= 0) writeFileSync(process.argv[metafileAt + 1], JSON.stringify(train.metafile));
}
if (grad !== null) report("bench/size/grad-program.ts (tensors and gradients only)", grad, 8);
// The thread pool joins a program through setNumThreads (kernels/wasm/threads.ts); neither
// program calls it, so neither may carry the pool or what only the pool uses.
for (const [name, b] of [["train-program", train], ["grad-program", grad]] as const) {
  if (b === null) continue;
  const inputs = Object.keys(Object.values(b.metafile.outputs)[0].inputs);
  const pool = inputs.filter((f) => /wasm\/(thread-pool|thread-choice|slices|spawn)\.js$/.test(f));
  if (pool.length > 0) failures.push(`${name}: the thread pool is bundled: ${pool.join(", ")}`);
  // Their module generators emit through instructions.ts; `Code`, the builder with a method per
  // instruction (whose names minification keeps), is for the CNN generators only.
  if (inputs.some((f) => f.endsWith("kernels/wasm/encoder.js"))) {
    failures.push(`${name}: kernels/wasm/encoder.js (Code) is bundled; emit via instructions.ts`);
  }
}

// The bundles must also work: training lowers the loss and reloaded weights give the same
// evaluation; the gradient agrees with backward() and with one entry worked out by hand.
if (train !== null) {
  const t = run<{ first: number; last: number; accuracy: number; same: boolean }>(train);
  console.log(`train-program runs: loss ${t.first.toFixed(4)} -> ${t.last.toFixed(4)}, ` +
    `test accuracy ${t.accuracy.toFixed(3)}`);
  if (!(t.last < 0.5 * t.first)) failures.push(`training did not learn: ${JSON.stringify(t)}`);
  if (!t.same) failures.push("weights reloaded from safetensors bytes evaluate differently");
}
if (grad !== null) {
  const g = run<{ grad: number[]; same: boolean }>(grad);
  // dL/dw[0][0] = Σ_i x[i][0]·(1 − tanh²((x·w)[i][0])) with x·w = [[1, 0.25], [1.875, 4.1875]].
  const expected = 0.5 * (1 - Math.tanh(1) ** 2) + 2 * (1 - Math.tanh(1.875) ** 2);
  console.log(`grad-program runs: dL/dw[0][0] = ${g.grad[0].toFixed(6)}`);
  if (!g.same) failures.push("grad() and backward() disagree in the bundle");
  if (!(Math.abs(g.grad[0] - expected) < 1e-12)) {
    failures.push(`grad-program: dL/dw[0][0] is ${g.grad[0]}; expected ${expected}`);
  }
}
rmSync(outDir, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`size: ${failures.length} problem(s):\n  ${failures.join("\n  ")}`);
  process.exit(1);
}

/** The package a bundled file belongs to: @tapegrad/core, valibot, … */
function ownerOf(file: string): string {
  const tapegrad = /^packages\/([^/]+)\//.exec(file);
  if (tapegrad) return `@tapegrad/${tapegrad[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(file);
  return dependency ? dependency[1] : "(program)";
}

/** `packages/core/dist/kernels/wasm/encoder.js` -> `core/kernels/wasm/encoder.js`. */
function shortName(file: string): string {
  const tapegrad = /^packages\/([^/]+)\/dist\/(.*)$/.exec(file);
  if (tapegrad) return `${tapegrad[1]}/${tapegrad[2]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)(.*)$/.exec(file);
  return dependency ? `${dependency[1]}/${dependency[2]}` : file;
}
