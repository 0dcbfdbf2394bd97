// Helpers for the CLI tests: run the built tapegrad-mnist binary with a hard timeout.
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The built CLI (the root `test` script builds it first). */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");

/** What a CLI run gave; `signal` is set when the timeout killed it (a hang). */
export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link cliWith}. */
export interface CliOptions {
  /** Killed after this long (default 120 s), so a hang fails the test instead of the suite. */
  readonly timeout?: number;
  /** Run as this user id (tests run as root; permissions need someone else). */
  readonly uid?: number;
  readonly cwd?: string;
}

/** Runs `tapegrad-mnist ...args` with `options`. */
export function cliWith(options: CliOptions, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8", timeout: options.timeout ?? 120_000, killSignal: "SIGKILL",
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `tapegrad-mnist ...args`, killed after 120 s. */
export function cli(...args: string[]): CliResult {
  return cliWith({}, ...args);
}

/** Small, fast runs: 600 samples, 100 of them for validation, batches of 50. */
export const SMALL = ["--limit", "600", "--val", "100", "--batch-size", "50"];

/** The final weights of the run in `dir` (its current epoch directory's model.safetensors). */
export async function finalWeights(dir: string): Promise<Buffer> {
  const pointer = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8"));
  return readFile(join(dir, pointer.path, "model.safetensors"));
}

/**
 * Asserts a failure as the CLI must report one: exit `status` (not a timeout), nothing on
 * stdout, and one line on stderr matching `message`, without a stack trace.
 */
export function expectError(r: CliResult, status: number, message: RegExp): void {
  expect(r.signal, "killed by the timeout: a hang").toBeNull();
  expect(r.status, r.stderr).toBe(status);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

/** A pattern for the end of a message: `parts` joined, matched literally, then the line's end. */
export function endsWith(...parts: string[]): RegExp {
  return new RegExp(`${parts.join("").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}
