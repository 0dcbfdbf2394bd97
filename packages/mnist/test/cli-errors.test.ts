// Every error path of the CLI: one line naming the file or flag, exit 1, no stack trace (unless
// --verbose); the limit errors name the flag that raises them, and the flags work.
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import {
  chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MNIST_FILES, defaultDataDir } from "../src/files.js";
import { SMALL, cli, cliWith, endsWith, expectError } from "./cli-run.js";

let dir: string;
let run: string; // a finished one-epoch run, copied and damaged below

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapegrad-cli-errors-"));
  await chmod(dir, 0o755);
  run = join(dir, "run");
  const r = cli("train", ...SMALL, "--epochs", "1", "--out", run);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the run with `damage` done to its epoch directory. */
async function damaged(name: string, damage: (epoch: string) => Promise<void>): Promise<string> {
  const copy = join(dir, name);
  await cp(run, copy, { recursive: true });
  await damage(join(copy, "epoch-0001"));
  return copy;
}

describe("checkpoints: missing or damaged", { timeout: 120_000 }, () => {
  it.each<[string, (epoch: string) => Promise<void>, RegExp]>([
    ["pointer", async (e) => writeFile(join(e, "..", "checkpoint.json"), "garbage"),
      /loadCheckpoint: .*pointer\/checkpoint\.json is not valid JSON; Unexpected token/],
    ["state", async (e) => rm(join(e, "state.json")),
      /loadCheckpoint: state .*state\/epoch-0001\/state\.json: cannot read it: no such file/],
    ["spec", async (e) => writeFile(join(e, "spec.json"), '{"input": 784}'),
      /spec\/epoch-0001\/spec\.json: invalid model spec: layers is missing; it must be an array/],
    ["weights", async (e) => truncate(join(e, "model.safetensors"), 100),
      /weights\/epoch-0001\/model\.safetensors: not a valid safetensors file: decodeSafetensors/],
    ["huge", async (e) => truncate(join(e, "model.safetensors"), 100_000_000), endsWith(
      "huge/epoch-0001/model.safetensors is 100000000 bytes long; the limit is 5069400 (what ",
      "a model of 109386 parameters, as its spec.json says, can take)",
    )],
    ["folder", async (e) => {
      await rm(join(e, "model.safetensors"));
      await mkdir(join(e, "model.safetensors"));
    }, /folder\/epoch-0001\/model\.safetensors: is a folder, not a file$/],
  ])("%s", async (name, damage, message) => {
    const copy = await damaged(name, damage);
    expectError(cli("evaluate", "--checkpoint", copy), 1, message);
  });

  it("names a missing folder, a file, an empty folder; --verbose adds the stack", async () => {
    const none = join(dir, "none");
    expectError(cli("evaluate", "--checkpoint", none), 1,
      /loadCheckpoint: .*none is not a checkpoint: no such folder$/);
    expectError(cli("predict", "--checkpoint", join(run, "checkpoint.json"), "--index", "0"), 1,
      /checkpoint\.json is not a checkpoint: it is a file, not a folder$/);
    expectError(cli("export", "--checkpoint", dir, "--onnx", join(dir, "m.onnx")), 1,
      /is not a checkpoint \(no checkpoint\.json or state\.json\)$/);
    const verbose = cli("evaluate", "--checkpoint", none, "--verbose");
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/no such folder\n.*Error: loadCheckpoint[^]*\n\s+at /);
  });

  it("a resume of a checkpoint with bad settings names its state.json", async () => {
    const copy = await damaged("settings", async (e) => {
      const state = JSON.parse(await readFile(join(e, "state.json"), "utf8"));
      await writeFile(join(e, "state.json"), JSON.stringify({
        ...state, config: { ...state.config, schedule: "bogus" },
      }));
    });
    expectError(cli("train", "--resume", "--out", copy, "--epochs", "2"), 1, endsWith(
      "settings/epoch-0001/state.json: config.schedule must be one of constant, cosine; ",
      'got "bogus"',
    ));
  });

  it("export names the file it cannot write", () => {
    expectError(cli("export", "--checkpoint", run, "--onnx", join(dir, "no", "m.onnx")), 1,
      endsWith(`cannot write the ONNX file ${join(dir, "no", "m.onnx")}: no such file or `,
        "folder (ENOENT) (does its folder exist?)"));
    expectError(cli("export", "--checkpoint", run, "--safetensors", run), 1,
      /cannot write the safetensors file .*run: is a folder, not a file \(EISDIR\)$/);
  });
});

describe("--model files", { timeout: 60_000 }, () => {
  it.each<[string, (path: string) => Promise<unknown>, RegExp]>([
    ["missing.json", async () => undefined,
      /--model .*missing\.json: cannot read it: no such file/],
    ["a-folder", (p) => mkdir(p), /--model .*a-folder: is a folder, not a file$/],
    ["fifo", async (p) => execFileSync("mkfifo", [p]),
      /--model .*fifo: not a regular file \(a FIFO or a device\?\)$/],
    ["utf16.json", (p) => writeFile(p, Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])),
      /--model .*utf16\.json is not valid UTF-8 text$/],
    ["cut.json", (p) => writeFile(p, '{"input": 784,'),
      /--model .*cut\.json is not valid JSON: Expected double-quoted property name/],
    ["twice.json", (p) => writeFile(p, '{"input": 784, "training": {"epochs": 1, "epochs": 9},' +
      ' "layers": [{"type": "dense", "units": 10}]}'), endsWith(
      "twice.json: training.epochs appears twice; JSON would silently keep the last value, so ",
      "remove one of them",
    )],
    // Sparse: 20 MB long without 20 MB on disk; refused from its size, before reading it.
    ["big.json", async (p) => (await writeFile(p, "{}"), truncate(p, 20_000_000)), endsWith(
      "big.json is 20000000 bytes long; the limit is 16777216 ",
      "(raise it with --max-spec-bytes N)",
    )],
    ["wide.json", (p) => writeFile(p, JSON.stringify({
      input: 784, layers: [{ type: "dense", units: 20000 }, { type: "dense", units: 20000 }],
    })), endsWith(
      "wide.json: invalid model spec: layers[1].units makes the model too large: 415720000 ",
      "parameters with it, over the limit of 100000000 (raise it with --max-parameters N); ",
      "got 20000",
    )],
  ])("%s", async (name, make, message) => {
    const path = join(dir, name);
    await make(path);
    expectError(cli("train", "--model", path, ...SMALL), 1, message);
  });

  it("a UTF-8 byte-order mark is fine: the spec itself is checked", async () => {
    const path = join(dir, "bom.json");
    await writeFile(path, '\uFEFF{"input": 784, "layers": [{"type": "dense", "units": -1}]}');
    expectError(cli("train", "--model", path, ...SMALL), 1, endsWith(
      "bom.json: invalid model spec: layers[0].units must be a positive integer; got -1",
    ));
  });

  it("/dev/zero is refused, not read forever", () => {
    expectError(cli("doctor", "--model", "/dev/zero"), 1,
      /--model \/dev\/zero: not a regular file \(a FIFO or a device\?\)$/);
  });

  it("permission denied, for a user who may not read it", async () => {
    const path = join(dir, "private.json");
    await writeFile(path, "{}");
    await chmod(path, 0o600);
    const uid = process.getuid?.() === 0 ? { uid: 65534 } : {};
    expectError(cliWith(uid, "doctor", "--model", path), 1,
      /--model .*private\.json: cannot read it: permission denied \(EACCES\)$/);
  });

  it("the limit flags are named in their errors, and raise the limits", async () => {
    const path = join(dir, "deep.json");
    const layers = Array.from({ length: 10_000 }, () => ({ type: "dense", units: 2 }));
    layers.push({ type: "dense", units: 10 });
    await writeFile(path, JSON.stringify({ input: 784, layers }));
    expectError(cli("doctor", "--model", path, "--batch-size", "8"), 1, endsWith(
      "deep.json: invalid model spec: layers must list at most 10000 layers ",
      "(raise it with --max-layers N); got 10001",
    ));
    const raised = cli("doctor", "--model", path, "--batch-size", "8", "--max-layers", "10001");
    expect(raised.stderr).toBe("");
    expect(raised.stdout).toMatch(/^doctor: \d+ errors — this model will not learn/);
    expectError(cli("doctor", "--model", path, "--max-spec-bytes", "1000"), 1,
      /deep\.json is \d+ bytes long; the limit is 1000 \(raise it with --max-spec-bytes N\)$/);
    expectError(cli("evaluate", "--checkpoint", run, "--max-parameters", "1000"), 1, new RegExp(
      "spec\\.json: invalid model spec: layers\\[0\\]\\.units makes the model too large: .* " +
        "over the limit of 1000 \\(raise it with --max-parameters N\\)",
    ));
  });
});

describe("--data-dir", { timeout: 60_000 }, () => {
  it("names a missing folder, a file, an empty folder", async () => {
    await mkdir(join(dir, "empty"));
    expectError(cli("doctor", "--data-dir", join(dir, "nowhere")), 1,
      /readMnistFiles: .*nowhere: no such folder$/);
    expectError(cli("train", "--data-dir", join(run, "checkpoint.json")), 1,
      /readMnistFiles: .*checkpoint\.json: is a file, not a folder$/);
    expectError(cli("evaluate", "--checkpoint", run, "--data-dir", join(dir, "empty")), 1,
      /readMnistFiles: missing train-images-idx3-ubyte, .* in .*empty; expected/);
  });

  it("refuses a gzip bomb within the limits, and names --max-idx-bytes", async () => {
    const bomb = join(dir, "bomb");
    await mkdir(bomb);
    for (const name of [MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels]) {
      await symlink(join(defaultDataDir(), name), join(bomb, name));
    }
    // 100 MB of zeros (about 100 kB of gzip) behind a header declaring 60000×100×100 bytes.
    const gzip = createGzip();
    const done = new Promise<void>((resolve) => gzip.pipe(createWriteStream(
      join(bomb, `${MNIST_FILES.trainImages}.gz`),
    )).on("finish", () => resolve()));
    gzip.write(Buffer.from([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 100, 0, 0, 0, 100]));
    for (let i = 0; i < 100; i++) gzip.write(Buffer.alloc(1 << 20));
    gzip.end();
    await done;
    expectError(cli("doctor", "--data-dir", bomb), 1, endsWith(
      "train-images-idx3-ubyte.gz: dimensions 60000×100×100 declare 600000000 bytes of uint8, ",
      "more than maxBytes 536870912; pass --max-idx-bytes N to raise the limit",
    ));
    // Raised past the header's claim: refused as more than 1032:1 deflate could give.
    expectError(cli("doctor", "--data-dir", bomb, "--max-idx-bytes", "700000000"), 1, new RegExp(
      "train-images-idx3-ubyte\\.gz: the header declares 600000016 bytes .* but \\d+ bytes of " +
        "gzip data inflate to at most \\d+$",
    ));
    expectError(cli("evaluate", "--checkpoint", run, "--max-idx-bytes", "1000"), 1, new RegExp(
      "readIdxFile: .* more than an IDX file within maxBytes 1000 can; " +
        "pass --max-idx-bytes N to raise the limit$",
    ));
  });
});
