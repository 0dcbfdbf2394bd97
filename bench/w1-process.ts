// A W1 trainer as a child process that trains one epoch per request (tapegrad's w1-serve.ts,
// PyTorch's w1_torch.py, the NumPy seed-style w1_numpy.py), so a benchmark can alternate the
// epochs of several trainers under the same machine load; and the search for a Python with
// the module a script needs.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The four MNIST files, in the order the Python scripts take them. */
export const MNIST_PATHS = [
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
];

/** One epoch as the trainer timed it, and its last minibatch's loss. */
export interface EpochAnswer {
  seconds: number;
  lastLoss: number;
}

/**
 * A running trainer: it prints one JSON line when ready, then answers "epoch" and "accuracy"
 * on stdin with one JSON line each, and exits on "quit".
 */
export class W1Process {
  private readonly lines: AsyncIterator<string>;
  /** What the trainer said when it was ready (a version, its configuration). */
  ready: Record<string, unknown> = {};

  private constructor(
    readonly label: string, private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts `command args`; resolves once it is ready, or with why it could not start. */
  static async start(
    label: string, command: string, args: readonly string[], env: Record<string, string> = {},
  ): Promise<W1Process | { reason: string }> {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const failed = new Promise<{ reason: string }>((resolve) => {
      child.on("error", (e) => resolve({ reason: e.message }));
      child.on("exit", (code) => resolve({
        reason: stderr.trim().split("\n").pop() ?? `exited with code ${String(code)}`,
      }));
    });
    const trainer = new W1Process(label, child);
    const ready = trainer.next().then((line) => {
      trainer.ready = line as Record<string, unknown>;
      return trainer;
    });
    return Promise.race([ready, failed]);
  }

  /** Trains one epoch. */
  async epoch(): Promise<EpochAnswer> {
    this.child.stdin.write("epoch\n");
    const answer = (await this.next()) as { seconds: number; lastLoss?: number;
      lastCost?: number };
    return { seconds: answer.seconds, lastLoss: answer.lastLoss ?? answer.lastCost ?? NaN };
  }

  /** Test accuracy of the model as trained so far, in [0, 1]. */
  async accuracy(): Promise<number> {
    this.child.stdin.write("accuracy\n");
    return ((await this.next()) as { testAccuracy: number }).testAccuracy;
  }

  close(): void {
    this.child.stdin.end("quit\n");
  }

  private async next(): Promise<unknown> {
    const { value, done } = await this.lines.next();
    if (done === true) throw new Error(`${this.label}: the trainer exited`);
    return JSON.parse(value) as unknown;
  }
}

/** A Python interpreter that imports `module`, or why none was found. */
export type PythonSearch = { python: string } | { reason: string };

/**
 * Finds a Python that can `import module`: $TAPEGRAD_PYTHON alone when set, else `python3` on
 * the PATH, then /usr/bin/python3 (Debian's python3-torch lives there, not in a pyenv).
 */
export function findPython(module: string): PythonSearch {
  const override = process.env.TAPEGRAD_PYTHON;
  const candidates = override !== undefined && override !== ""
    ? [override]
    : ["python3", "/usr/bin/python3"];
  const tried: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", `import ${module}`], { encoding: "utf8" });
    if (probe.status === 0) return { python };
    const why = probe.error?.message ?? probe.stderr.trim().split("\n").pop() ?? "failed";
    tried.push(`${python === override ? "TAPEGRAD_PYTHON=" : ""}${python}: ${why}`);
  }
  const hint = override !== undefined && override !== ""
    ? "" : "; set TAPEGRAD_PYTHON to a python3 that has it";
  return { reason: `no Python with ${module} found (tried ${tried.join("; ")})${hint}` };
}

/** The path of a script next to this file. */
export const benchScript = (name: string): string => join(import.meta.dirname, name);
