// Project lint: the import rules and bans of docs/contributing.md, checked over every source file.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { lintOpsData } from "./lint-ops.js";

const root = join(import.meta.dirname, "..");
const kernels = "packages/core/src/kernels/";
const problems: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist") return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const importPattern = /^\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']/gm;
const files = ["packages", "examples", "bench", "scripts"]
  .flatMap((d) => sourceFiles(join(root, d)));
for (const file of files) {
  const path = relative(root, file).split(sep).join("/");
  const text = readFileSync(file, "utf8");
  const isTest = /\.test\.ts$/.test(path) || path.includes("/test/");
  const isLibrary = path.startsWith("packages/") && path.includes("/src/") && !isTest;
  for (const match of text.matchAll(importPattern)) {
    const target = match[1];
    const line = text.slice(0, match.index).split("\n").length;
    const where = `${path}:${line}`;
    const resolved = target.startsWith(".")
      ? relative(root, resolve(dirname(file), target)).split(sep).join("/")
      : null;
    // Packages import each other by name, never by a path into another package.
    const crossesPackage = resolved !== null && packageOf(resolved) !== packageOf(path);
    if (crossesPackage && path.startsWith("packages/")) {
      problems.push(`${where}: imports another package by path (${target}); import it by name`);
    }
    // Kernels are raw loops: they import only other kernels, shape.ts and dtype.ts.
    if (path.startsWith(kernels) && !isTest && resolved !== null) {
      const allowed = resolved.startsWith(kernels) ||
        /^packages\/core\/src\/(shape|dtype)\.js$/.test(resolved);
      if (!allowed) {
        problems.push(
          `${where}: kernels may import only kernels/, shape.ts, dtype.ts; got ${target}`,
        );
      }
    }
    if (isLibrary && /^\.\.?\//.test(target) && !target.endsWith(".js")) {
      problems.push(`${where}: relative import without .js suffix (${target})`);
    }
  }
  text.split("\n").forEach((line, i) => {
    // Characters, not bytes: ᵀ, Σ and − count once.
    if ([...line].length > 100) problems.push(`${path}:${i + 1}: line longer than 100 characters`);
  });
  if (isLibrary && /\bMath\.random\s*\(/.test(text)) {
    problems.push(`${path}: library code calls Math.random; pass a seeded Rng instead`);
  }
  if (/\b(?:it|test|describe)\.(?:only|skip|todo)\(|\bxit\(/.test(text)) {
    problems.push(`${path}: focused or skipped test`);
  }
}

// Ops never read or write element data on the host (scripts/lint-ops.ts).
problems.push(...lintOpsData(root));

/** "packages/nn" for any path inside that package. */
function packageOf(path: string): string {
  return path.split("/").slice(0, 2).join("/");
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`lint: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`lint: ${files.length} files, no problems`);
