// The NumPy seed-style W1 (w1_numpy.py) as a child process that trains one epoch per request,
// so a benchmark can alternate its own epochs with NumPy's under the same machine load.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const FILES = [
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
];

/** A running w1_numpy.py --serve; every request waits for its one-line JSON answer. */
export class NumpySeed {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts the script on the IDX files in `dataDir`; resolves with why it could not. */
  static async start(dataDir: string): Promise<NumpySeed | { reason: string }> {
    const child = spawn("python3", [
      join(import.meta.dirname, "w1_numpy.py"), ...FILES.map((f) => join(dataDir, f)), "--serve",
    ], { env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const failed = new Promise<{ reason: string }>((resolve) => {
      child.on("error", (e) => resolve({ reason: e.message }));
      child.on("exit", () => resolve({ reason: stderr.trim().split("\n").pop() ?? "exited" }));
    });
    const seed = new NumpySeed(child);
    const ready = seed.next().then(() => seed);
    return Promise.race([ready, failed]);
  }

  /** Trains one epoch; its seconds as NumPy timed them. */
  async epoch(): Promise<number> {
    this.child.stdin.write("epoch\n");
    return ((await this.next()) as { seconds: number }).seconds;
  }

  async accuracy(): Promise<number> {
    this.child.stdin.write("accuracy\n");
    return ((await this.next()) as { testAccuracy: number }).testAccuracy;
  }

  close(): void {
    this.child.stdin.end("quit\n");
  }

  private async next(): Promise<unknown> {
    const { value, done } = await this.lines.next();
    if (done === true) throw new Error("w1_numpy.py exited");
    return JSON.parse(value) as unknown;
  }
}
