// CI's pack test: packs core, nn and mnist with pnpm, installs the tarballs into a fresh npm
// project outside the workspace, checks the tarballs (files, metadata, source maps that
// resolve), type-checks a strict program and each package README's example under nodenext and
// bundler resolution, runs them with node, and runs the tapegrad-mnist bin.
import { execFileSync } from "node:child_process";
import {
  copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = join(import.meta.dirname, "..");
const PACKAGES = ["core", "nn", "mnist"] as const;
// The consumer's own tools, pinned like the workspace's.
const TOOLS = ["typescript@5.9.3", "@types/node@20.19.43"];
// pnpm as the quickstart runs it (no global pnpm needed): the version package.json pins.
const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "tapegrad-pack-test-"));
const problems: string[] = [];
const started = performance.now();

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function step(what: string): void {
  console.log(`pack-test: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

try {
  step("packing");
  const tarballs = PACKAGES.map((name) => {
    const out = join(work, `tapegrad-${name}.tgz`);
    run("npx", ["-y", packageManager, "pack", "--out", out], join(root, "packages", name));
    return out;
  });

  const project = join(work, "project");
  execFileSync("mkdir", [project]);
  run("npm", ["init", "-y"], project);
  step("installing the tarballs with npm");
  run("npm", ["install", "--no-audit", "--no-fund", ...tarballs, ...TOOLS], project);

  for (const name of PACKAGES) checkPackage(join(project, "node_modules", "@tapegrad", name));

  // The program and every README example, as .mts files (the npm project is CommonJS).
  copyFileSync(join(root, "scripts", "pack", "main.mts"), join(project, "main.mts"));
  const programs = ["main"];
  for (const name of PACKAGES) {
    const installed = join(project, "node_modules", "@tapegrad", name);
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const example = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme);
    if (!example) {
      problems.push(`@tapegrad/${name}: README.md has no "## Example" TypeScript block`);
      continue;
    }
    writeFileSync(join(project, `readme-${name}.mts`), example[1]);
    programs.push(`readme-${name}`);
  }
  const strict = {
    strict: true, target: "ES2022", lib: ["ES2022"], types: ["node"], skipLibCheck: false,
    noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
  };
  writeConfig(project, "tsconfig.nodenext.json", {
    ...strict, module: "nodenext", moduleResolution: "nodenext", outDir: "out",
  });
  writeConfig(project, "tsconfig.bundler.json", {
    ...strict, module: "esnext", moduleResolution: "bundler", noEmit: true,
  });
  for (const config of ["tsconfig.nodenext.json", "tsconfig.bundler.json"]) {
    step(`type-checking with ${config}`);
    try {
      const tsc = join(project, "node_modules", "typescript", "bin", "tsc");
      run(process.execPath, [tsc, "-p", config], project);
    } catch (err) {
      problems.push(`tsc -p ${config} failed:\n${(err as { stdout?: string }).stdout ?? err}`);
    }
  }
  for (const program of programs) {
    step(`running ${program}.mjs`);
    try {
      const output = run(process.execPath, [join("out", `${program}.mjs`)], project);
      console.log(output.trimEnd().replace(/^/gm, "    "));
    } catch (err) {
      problems.push(`node ${program}.mjs failed:\n${(err as { stderr?: string }).stderr ?? err}`);
    }
  }
  step("running the tapegrad-mnist bin");
  const help = run("npx", ["--no-install", "tapegrad-mnist", "train", "--help"], project);
  if (!/Usage: tapegrad-mnist train/.test(help)) problems.push(`tapegrad-mnist --help: ${help}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
step(problems.length === 0 ? "passed" : "failed");
if (problems.length > 0) {
  console.error(`pack-test: ${problems.length} problem(s):\n${problems.join("\n")}`);
  process.exit(1);
}

function writeConfig(dir: string, file: string, compilerOptions: object): void {
  const include = ["*.mts"];
  writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, include }, null, 2));
}

// Files and metadata of an installed package, and every source map's sources.
function checkPackage(dir: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const name = manifest.name as string;
  for (const file of ["LICENSE", "README.md", "dist/index.js", "dist/index.d.ts"]) {
    if (!existsSync(join(dir, file))) problems.push(`${name}: the tarball has no ${file}`);
  }
  const licensePath = join(dir, "LICENSE");
  const license = existsSync(licensePath) ? readFileSync(licensePath, "utf8") : "";
  if (!license.includes("Copyright (c) 2026 the tapegrad authors")) {
    problems.push(`${name}: LICENSE lacks the copyright line`);
  }
  for (const field of ["license", "repository", "homepage", "keywords", "description"]) {
    if (manifest[field] === undefined) problems.push(`${name}: package.json has no ${field}`);
  }
  const ranges = JSON.stringify(manifest.dependencies ?? {});
  if (ranges.includes("workspace:")) problems.push(`${name}: dependencies keep workspace: ranges`);
  const files = walk(dir);
  const tests = files.filter((f) => f.endsWith(".test.ts"));
  if (tests.length > 0) problems.push(`${name}: the tarball ships tests (${tests[0]})`);
  let maps = 0;
  for (const map of files.filter((f) => f.endsWith(".map"))) {
    maps++;
    const { sources, sourcesContent, sourceRoot = "" } = JSON.parse(readFileSync(map, "utf8"));
    (sources as string[]).forEach((source, i) => {
      const path = resolve(dirname(map), sourceRoot, source);
      if (!existsSync(path)) problems.push(`${map}: source ${source} is not in the tarball`);
      if (map.endsWith(".js.map") && typeof sourcesContent?.[i] !== "string") {
        problems.push(`${map}: no sourcesContent for ${source}`);
      }
    });
  }
  const summary = `${files.length} files, ${maps} source maps resolve`;
  console.log(`    ${name}@${manifest.version}: ${summary}`);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.name === "node_modules") return [];
    return entry.isDirectory() ? walk(path) : [path];
  });
}
