// train --out is checked before any training: created level by level (never a hang under
// /proc), proven writable, and named in a one-line error. Every run has a hard timeout.
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunStart, runTraining } from "../src/run.js";
import { prepareOutputFolder } from "../src/out-folder.js";
import { SMALL, cliWith, expectError } from "./cli-run.js";

let dir: string;
const quick = { timeout: 30_000 }; // each of these fails in well under a second

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-out-"));
  await writeFile(join(dir, "a-file"), "x");
  await mkdir(join(dir, "locked"));
  await chmod(join(dir, "locked"), 0o555);
  await chmod(dir, 0o755); // the unprivileged user below must reach locked/
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const train = (...args: string[]) => cliWith(quick, "train", ...SMALL, "--epochs", "1", ...args);

describe("train --out is checked before training", { timeout: 60_000 }, () => {
  it("refuses a folder under /proc at once instead of hanging in mkdir", () => {
    expectError(train("--out", "/proc/tapegrad-x/run"), 1, new RegExp(
      "^tapegrad-mnist: error: --out /proc/tapegrad-x/run: cannot create the folder: " +
        "mkdir /proc/tapegrad-x: .*ENOENT.* /proc takes no new folders",
    ));
  });

  it("names a file in the way, itself or a parent", () => {
    const file = join(dir, "a-file");
    expectError(
      train("--out", file), 1,
      new RegExp(`--out ${file}: a file is in the way \\(${file} is a file\\)$`),
    );
    expectError(
      train("--out", join(file, "run")), 1,
      new RegExp(`--out ${file}/run: a file is in the way \\(${file} is a file\\)$`),
    );
    expectError(
      train("--out", "/dev/null"), 1,
      /--out \/dev\/null: a file is in the way \(\/dev\/null is a device\)$/,
    );
  });

  it("reports permission denied to a user who may not write there", () => {
    // Tests run as root, who may write anywhere: run the CLI as an unprivileged user then.
    const uid = process.getuid?.() === 0 ? { uid: 65534 } : {};
    const locked = join(dir, "locked");
    expectError(
      cliWith({ ...quick, ...uid }, "train", "--out", join(locked, "run")), 1,
      new RegExp(
        `--out ${locked}/run: cannot create the folder: mkdir ${locked}/run: ` +
          "permission denied \\(EACCES\\)$",
      ),
    );
    expectError(
      cliWith({ ...quick, ...uid }, "train", "--out", locked), 1,
      new RegExp(`--out ${locked}: the folder is not writable: permission denied \\(EACCES\\)$`),
    );
  });

  it("creates missing levels, leaving only the run's files", async () => {
    const out = join(dir, "new", "deeper", "run");
    const r = train("--out", out);
    expect(r.status, r.stderr).toBe(0);
    const files = ["checkpoint.json", "epoch-0001", "loss-curve.svg"];
    expect((await readdir(out)).sort()).toEqual(files);
  });
});

describe("runTraining checks out before loading anything", { timeout: 30_000 }, () => {
  it("rejects a file in the way without starting", async () => {
    const started: RunStart[] = [];
    await expect(runTraining({
      out: join(dir, "a-file"), settings: { epochs: 1 }, limit: 100,
      onStart: (s) => started.push(s),
    })).rejects.toThrow(/^runTraining: out .*a-file: a file is in the way/);
    expect(started).toEqual([]);
  });

  it("prepareOutputFolder refuses an empty name and too many missing levels", async () => {
    await expect(prepareOutputFolder("", "--out"))
      .rejects.toThrow('--out must name a folder; got ""');
    const deep = join(dir, ...Array.from({ length: 70 }, (_, i) => `l${i}`));
    await expect(prepareOutputFolder(deep, "--out"))
      .rejects.toThrow(/cannot create the folder: more than 64 missing levels/);
    expect(await readdir(dir)).not.toContain("l0"); // refused before creating any level
  });
});
