// Writes the adversarial file corpora into a folder for outside fuzzing: `pnpm corpus [dir]`.
// One subfolder per format holds every case's file and expected.json (each case's exact outcome).
// The cases live next to the tests that enumerate them; a new format adds one line to FORMATS.
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { idxCorpus } from "../packages/mnist/test/idx-corpus.js";
import { safetensorsCorpus } from "../packages/nn/test/safetensors-corpus.js";

/** The shape every format's case list shares (see packages/mnist/test/idx-corpus.ts). */
interface CorpusCase {
  readonly name: string;
  readonly about: string;
  readonly bytes: () => Uint8Array;
  readonly expected: { readonly error: string } | { readonly value: unknown };
}

/** Each format's folder name and its cases. */
const FORMATS: Record<string, () => readonly CorpusCase[]> = {
  idx: idxCorpus,
  safetensors: safetensorsCorpus,
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 1 || args[0]?.startsWith("-")) {
    console.error("usage: pnpm corpus [dir]   (default dir: corpus)");
    process.exit(2);
  }
  const dir = resolve(args[0] ?? "corpus");
  for (const [format, cases] of Object.entries(FORMATS)) {
    const folder = join(dir, format);
    // Replace only a folder this script wrote before (it has expected.json).
    if (await exists(join(folder, "expected.json"))) await rm(folder, { recursive: true });
    else if (await exists(folder)) {
      console.error(`corpus: ${folder} exists and was not written by this script; not touching it`);
      process.exit(1);
    }
    await mkdir(folder, { recursive: true });
    const list = cases();
    let bytes = 0;
    for (const c of list) {
      const data = c.bytes();
      bytes += data.length;
      await writeFile(join(folder, c.name), data);
    }
    const expected = list.map(({ name, about, expected }) => ({ name, about, expected }));
    await writeFile(join(folder, "expected.json"), `${JSON.stringify(expected, null, 2)}\n`);
    console.log(`${format}: ${list.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${folder}`);
  }
}

await main();
