// Resuming: nothing to do on a finished run, a warning when a cosine schedule is re-planned,
// and a run SIGKILLed mid-write that resumes to the uninterrupted run's weights, bit for bit,
// after the next run removed exactly the temp files the kill left.
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, SMALL, cli, endsWith, expectError, finalWeights } from "./cli-run.js";

let dir: string;
let straight: string; // three epochs, cosine schedule, never interrupted

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-resume-"));
  straight = join(dir, "straight");
  const r = cli("train", ...SMALL, "--epochs", "3", "--out", straight);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `train`, pausing it before the `count`-th rename onto `target`, then SIGKILLs it. */
async function killMidWrite(out: string, target: string, count: number): Promise<string> {
  const preload = join(import.meta.dirname, "cli-pause-at-rename.mjs");
  const child = spawn(
    process.execPath, ["--import", preload, CLI, "train", ...SMALL, "--epochs", "3", "--out", out],
    { env: { ...process.env, PAUSE_RENAME_TARGET: target, PAUSE_RENAME_COUNT: String(count) } },
  );
  let stderr = "";
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on("exit", (_, signal) => resolve(signal));
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never paused: ${stderr}`)), 60_000);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.includes("paused before renaming")) (clearTimeout(timer), resolve());
    });
    child.on("exit", () => (clearTimeout(timer), reject(new Error(`exited: ${stderr}`))));
  });
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return `${child.pid}`;
}

describe("resume after a SIGKILL", { timeout: 180_000 }, () => {
  // Killed as epoch 2's pointer was to move, its epoch directory written (resumed on the
  // default 2 threads); and as epoch 2's curve was to be written, before its checkpoint
  // (resumed on 1 thread: the same weights). Either way epoch 2 is trained again.
  it.each([
    ["checkpoint.json", 2, 1, ["epoch-0002/"], []],
    ["loss-curve.svg", 2, 1, [], ["--threads", "1"]],
  ])("killed before writing %s (rename number %i)", async (target, count, after, stale,
    threads) => {
    const out = join(dir, `killed-${target}`);
    const pid = await killMidWrite(out, target, count);
    const temp = (await readdir(out)).filter((f) => f.endsWith(".tmp"));
    const name = new RegExp(`^\\.${target}\\.${pid}\\.[0-9a-f]{12}\\.tmp$`);
    expect(temp).toEqual([expect.stringMatching(name)]); // the writer's own, left by the kill
    // Files of the user's that look alike: never touched.
    const mine = ["notes.tmp", `.${target}.tmp`, `.${target}.${pid}.draft.tmp`];
    for (const name of mine) await writeFile(join(out, name), "mine");
    const r = cli("train", "--resume", "--out", out, ...threads);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `removed what an interrupted run left in ${out}: ${[...temp, ...stale].join(", ")}\n`,
    );
    expect(r.stdout).toMatch(new RegExp(`resuming after epoch ${after}\\n`));
    expect(r.stderr).not.toMatch(/re-plans/); // the planned 3 epochs: nothing re-planned
    expect(Buffer.compare(await finalWeights(out), await finalWeights(straight))).toBe(0);
    const optimizer = (d: string) => readFile(join(d, "epoch-0003", "optimizer.safetensors"));
    expect(Buffer.compare(await optimizer(out), await optimizer(straight))).toBe(0);
    expect((await readdir(out)).sort()).toEqual(
      ["checkpoint.json", "epoch-0003", "loss-curve.svg", ...mine].sort(),
    );
  });
});

describe("resuming a finished run, or extending one", { timeout: 120_000 }, () => {
  it("a finished run: nothing to do, exit 0, no training", () => {
    const message = `nothing to do: the run in ${straight} finished its 3 epochs; ` +
      "pass --epochs M (> 3) to extend it";
    for (const epochs of [[], ["--epochs", "3"]]) {
      const r = cli("train", "--resume", "--out", straight, ...epochs);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, `${message}\n`, ""]);
    }
    const json = cli("train", "--resume", "--out", straight, "--json");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      command: "train", nothingToDo: true, message, checkpoint: join(straight, "epoch-0003"),
      epochs: 3,
    });
    expect(json.stderr).toBe(`${message}\n`);
  });

  it("fewer epochs than done: a usage error", () => {
    expectError(
      cli("train", "--resume", "--out", straight, "--epochs", "2"), 2,
      /--epochs 2 is fewer than the 3 epochs the run in .* has finished; pass --epochs M \(> 3\)/,
    );
  });

  it("a fresh run into a folder with a run: refused unless --overwrite", async () => {
    const before = await finalWeights(straight);
    expectError(
      cli("train", ...SMALL, "--epochs", "1", "--out", straight), 2,
      endsWith(`--out ${straight} already holds a training run (epoch 3 of 3); pass --resume `,
        "to continue it, --overwrite to start again there, or choose another folder (see ",
        "'tapegrad-mnist train --help')"),
    );
    expect(Buffer.compare(await finalWeights(straight), before)).toBe(0);
    expectError(cli("train", "--resume", "--overwrite", "--out", straight), 2,
      /--resume and --overwrite exclude each other/);
    const again = join(dir, "again");
    await cp(straight, again, { recursive: true });
    const r = cli("train", ...SMALL, "--epochs", "1", "--out", again, "--overwrite");
    expect(r.status, r.stderr).toBe(0);
    const pointer = JSON.parse(await readFile(join(again, "checkpoint.json"), "utf8"));
    expect(pointer.path).toBe("epoch-0001");
  });

  it("no checkpoint in --out: says so", async () => {
    const empty = join(dir, "empty");
    expectError(
      cli("train", "--resume", "--out", empty), 1,
      /--out .*empty holds no checkpoint to resume \(no checkpoint\.json\); drop --resume/,
    );
  });

  it("extending a cosine run warns that the rate goes up, and it is not a longer run", async () => {
    const extended = join(dir, "extended");
    const four = join(dir, "four");
    expect(cli("train", ...SMALL, "--epochs", "3", "--out", extended).status).toBe(0);
    const r = cli("train", "--resume", "--out", extended, "--epochs", "4");
    expect(r.status, r.stderr).toBe(0);
    // After 3 of 3 epochs the old plan's rate is 0; over 4 epochs, step 30 of 40 has
    // 0.001 · (1 + cos(π · 3/4)) / 2 = 0.000146.
    expect(r.stderr).toContain(
      `warning: --epochs 4 re-plans the cosine schedule of ${extended} (planned over 3 ` +
        "epochs): the rate at epoch 4 goes up from 0 to 0.000146 (of lr 0.001) and now " +
        "decays to 0 at epoch 4. The result differs from a 4-epoch run from the start",
    );
    expect(cli("train", ...SMALL, "--epochs", "4", "--out", four).status).toBe(0);
    expect(Buffer.compare(await finalWeights(extended), await finalWeights(four))).not.toBe(0);
  });
});
