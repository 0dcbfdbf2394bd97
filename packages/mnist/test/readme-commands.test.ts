// The root README's commands copy-paste on a machine that followed its quickstart: pnpm is
// always run as `npx -y pnpm@<pinned>`, every script named exists, and the CLI's help runs.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const manifest = (dir: string) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
const pinned = (manifest(".").packageManager as string).replace(/^pnpm@/, "");
const PNPM = `npx -y pnpm@${pinned}`;
// pnpm's own commands the README may use; anything else must be a script.
const BUILT_IN = new Set(["install", "run", "exec"]);

// Shell lines of ```sh blocks (comments dropped) and inline `code` spans.
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
const inlineCode = [...readme.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]+)`/g)]
  .map((m) => m[1]);

describe("README commands", () => {
  it("never runs a bare pnpm", () => {
    const bare = [...shellLines, ...inlineCode]
      .flatMap((line) => line.split("&&").map((part) => part.trim()))
      .filter((part) => /^pnpm\b/.test(part));
    expect(bare).toEqual([]);
    expect(shellLines.length).toBeGreaterThan(10);
  });

  it("pins the version package.json pins, and names scripts that exist", () => {
    const calls = [...shellLines, ...inlineCode]
      .flatMap((line) => [...line.matchAll(/npx -y pnpm@(\S+) (.*?)(?=$|&&)/g)]);
    expect(calls.length).toBeGreaterThan(10);
    for (const [, version, rest] of calls) {
      expect(version).toBe(pinned);
      const words = rest.trim().split(/\s+/);
      const filter = words[0] === "--filter" ? words[1] : undefined;
      const command = filter === undefined ? words[0] : words[2];
      const name = command === "run" ? words[words.indexOf("run") + 1] : command;
      if (filter === undefined && BUILT_IN.has(command) && command !== "run") continue;
      const dir = filter === undefined ? "." : join("examples", filter);
      expect(Object.keys(manifest(dir).scripts ?? {}), `${PNPM} ${rest}`).toContain(name);
    }
  });

  it(`${PNPM} tapegrad-mnist train --help works from the repository root`, () => {
    const [npx, ...args] = `${PNPM} tapegrad-mnist train --help`.split(" ");
    const r = spawnSync(npx, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tapegrad-mnist train \[options\]/m);
  }, 120_000);
});
