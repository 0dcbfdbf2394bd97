// `pnpm size`: bundles bench/size/train-program.ts for the browser with esbuild, fails on any
// Node built-in or above the size budget, prints each package's share, then runs the bundle.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Metafile, build } from "esbuild";

/** Minified bytes allowed for core + nn (and what they pull in) in the training program. */
const BUDGET = 150_000;
const entry = join(import.meta.dirname, "size", "train-program.ts");
const outDir = mkdtempSync(join(tmpdir(), "tapegrad-size-"));
const outfile = join(outDir, "train-program.mjs");

const failures: string[] = [];
let metafile: Metafile;
try {
  ({ metafile } = await build({
    entryPoints: [entry], outfile, bundle: true, minify: true, format: "esm",
    platform: "browser", metafile: true, logLevel: "silent",
    absWorkingDir: join(import.meta.dirname, ".."),
  }));
} catch (err) {
  // esbuild cannot resolve node:fs and friends for the browser: each one is an error here.
  const errors = (err as { errors?: Array<{ text: string; location?: { file: string } }> }).errors;
  for (const e of errors ?? []) failures.push(`${e.location?.file ?? entry}: ${e.text}`);
  if (!errors) throw err;
  fail(failures);
}

// Also refuse a built-in that was resolved (say, marked external by a future option).
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
for (const [file, input] of Object.entries(metafile.inputs)) {
  for (const imported of input.imports) {
    if (builtins.has(imported.path) || imported.path.startsWith("node:")) {
      failures.push(`${file} imports the Node built-in ${imported.path}`);
    }
  }
}

const [output] = Object.values(metafile.outputs);
const shares = new Map<string, number>();
for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
  const name = ownerOf(file);
  shares.set(name, (shares.get(name) ?? 0) + bytesInOutput);
}
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1).padStart(6)} KB`;
console.log("browser bundle of bench/size/train-program.ts (esbuild, minified):");
for (const [name, bytes] of [...shares].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${name.padEnd(18)} ${kb(bytes)}`);
}
console.log(`  ${"total".padEnd(18)} ${kb(output.bytes)}  (budget ${kb(BUDGET).trim()})`);
if (output.bytes > BUDGET) failures.push(`the bundle is ${output.bytes} bytes; budget ${BUDGET}`);
// The JSON Schema generator is for tools (`modelSpecJsonSchema`), never for a training program.
const generator = Object.keys(output.inputs).filter((f) => /json-schema|spec-json-schema/.test(f));
if (generator.length > 0) failures.push(`the JSON Schema generator is bundled: ${generator}`);

// The bundle must also work: run it and check that training lowered the loss.
if (failures.length === 0) {
  const line = execFileSync(process.execPath, [outfile], { encoding: "utf8" }).trim();
  const result = JSON.parse(line) as { first: number; last: number; same: boolean };
  console.log(`  runs: loss ${result.first.toFixed(4)} -> ${result.last.toFixed(4)}`);
  if (!(result.last < 0.5 * result.first)) failures.push(`training did not learn: ${line}`);
  if (!result.same) failures.push("weights reloaded from safetensors bytes give another loss");
}
if (failures.length > 0) fail(failures);
rmSync(outDir, { recursive: true, force: true });

/** The package a bundled file belongs to: @tapegrad/core, zod, … */
function ownerOf(file: string): string {
  const tapegrad = /^packages\/([^/]+)\//.exec(file);
  if (tapegrad) return `@tapegrad/${tapegrad[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(file);
  return dependency ? dependency[1] : "(program)";
}

function fail(problems: readonly string[]): never {
  rmSync(outDir, { recursive: true, force: true });
  console.error(`size: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
