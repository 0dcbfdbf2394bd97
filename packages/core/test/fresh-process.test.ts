// Every built module of @tapegrad/core loads as the first import of a fresh Node process (an
// import cycle that works in one order throws ReferenceError in another), and the
// TAPEGRAD_DEBUG=wasm switch reports the generated module's functions.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

/** Every .js file under `dir`. */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

interface Run {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs an ES module snippet in a fresh Node process. */
function node(source: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], {
      cwd: root, env: { ...process.env, TAPEGRAD_DEBUG: "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** `task` over every item, at most `limit` at a time. */
async function eachLimited<T, R>(items: T[], limit: number, task: (t: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const importOf = (file: string): string =>
  `await import(${JSON.stringify(pathToFileURL(file).href)});`;

describe("@tapegrad/core's built modules", () => {
  it("each load as the first import of a fresh process", async () => {
    const files = modules(dist);
    expect(files.length).toBeGreaterThan(40);
    // A file left from a renamed source would be published with the package.
    const stale = files.filter((f) =>
      !existsSync(join(root, "src", relative(dist, f)).replace(/\.js$/, ".ts")));
    expect(stale, "stale build output: rm -rf packages/core/dist and build again").toEqual([]);
    const runs = await eachLimited(files, Math.max(2, availableParallelism()),
      (file) => node(importOf(file)));
    const failed = runs.flatMap((run, i) => run.code === 0
      ? []
      : [`${relative(dist, files[i])}: ${run.stderr.split("\n").find((l) => /Error/.test(l))}`]);
    expect(failed).toEqual([]);
  }, 180_000);
});

describe("TAPEGRAD_DEBUG=wasm", () => {
  const index = JSON.stringify(pathToFileURL(join(dist, "index.js")).href);
  const product = `const { matmul, randn } = await import(${index});
    matmul(randn([4, 4], { seed: 1 }), randn([4, 4], { seed: 2 }));`;

  it("prints each module build's function sizes to stderr, once per build", async () => {
    const { code, stderr } = await node(product, { TAPEGRAD_DEBUG: "wasm" });
    expect(code).toBe(0);
    const builds = stderr.split("\n").filter((l) => l.startsWith("tapegrad wasm: built"));
    expect(builds.length).toBeGreaterThanOrEqual(1);
    expect(builds.length).toBeLessThanOrEqual(2); // the shared memory's module and a local one
    expect(builds[0]).toMatch(/\d+ functions, \d+ bytes$/);
    expect(stderr).toMatch(/^ {2}gemm +\d+ B$/m);
    expect(stderr).toMatch(/^ {2}micro\d +\d+ B$/m);
  }, 60_000);

  it("prints nothing without it", async () => {
    const { code, stderr } = await node(product);
    expect(code).toBe(0);
    expect(stderr).toBe("");
  }, 60_000);
});
