// C1 in PyTorch (c1_torch.py --serve) as a child process that trains one epoch per request, so
// bench/c1.ts can alternate its epochs with PyTorch's under the same machine load. The Python
// is TAPEGRAD_PYTHON, else the first of python3 and /usr/bin/python3 that imports torch.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const FILES = [
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
];

/** The Python that imports torch, with its version; or why none was found. */
export function findTorchPython(): { python: string; version: string } | { reason: string } {
  const given = process.env.TAPEGRAD_PYTHON;
  const candidates = given !== undefined && given !== ""
    ? [given] : ["python3", "/usr/bin/python3"];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"],
      { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const why = r.error?.message ?? r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`;
    tried.push(`${python}: ${why}`);
  }
  return { reason: `no Python with torch (${tried.join("; ")}); set TAPEGRAD_PYTHON` };
}

/** A running c1_torch.py --serve; every request waits for its one-line JSON answer. */
export class TorchC1 {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts the script with `threads` threads on the IDX files in `dataDir`. */
  static async start(
    python: string, dataDir: string, threads: number,
  ): Promise<TorchC1 | { reason: string }> {
    const child = spawn(python, [
      join(import.meta.dirname, "c1_torch.py"), String(threads),
      ...FILES.map((f) => join(dataDir, f)), "--serve",
    ], { env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const failed = new Promise<{ reason: string }>((resolve) => {
      child.on("error", (e) => resolve({ reason: e.message }));
      child.on("exit", () => resolve({ reason: stderr.trim().split("\n").pop() ?? "exited" }));
    });
    const torch = new TorchC1(child);
    const ready = torch.next().then(() => torch);
    return Promise.race([ready, failed]);
  }

  /** Trains one epoch; its seconds as PyTorch timed them. */
  async epoch(): Promise<number> {
    this.child.stdin.write("epoch\n");
    return ((await this.next()) as { seconds: number }).seconds;
  }

  /** Test accuracy and the process's peak RSS. */
  async accuracy(): Promise<{ testAccuracy: number; peakRssMiB: number }> {
    this.child.stdin.write("accuracy\n");
    return (await this.next()) as { testAccuracy: number; peakRssMiB: number };
  }

  close(): void {
    this.child.stdin.end("quit\n");
  }

  private async next(): Promise<unknown> {
    const { value, done } = await this.lines.next();
    if (done === true) throw new Error("c1_torch.py exited");
    return JSON.parse(value) as unknown;
  }
}
