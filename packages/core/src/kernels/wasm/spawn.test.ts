// Unit tests for starting helper threads: Node's workers for real, and the browser's choice and
// messages against a stand-in global scope (Chromium runs the real thing in examples/web).
import { afterAll, describe, expect, it } from "vitest";
import { getNumThreads, setNumThreads, threadsReady } from "../threads.js";
import { helperSpawner } from "./spawn.js";

/** A stand-in for a page's Worker: records what it was given and answers like a helper. */
class FakeWorker {
  static made: FakeWorker[] = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;
  posted: unknown[] = [];
  terminated = false;
  constructor(readonly url: string, readonly options: unknown) {
    FakeWorker.made.push(this);
  }
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
}

function pageScope(overrides: Record<string, unknown> = {}) {
  const blobs = new Map<string, string>();
  const revoked: string[] = [];
  const scope = {
    Worker: FakeWorker,
    Blob: class { constructor(readonly parts: string[], readonly options: unknown) {} },
    URL: {
      createObjectURL(blob: { parts: string[] }): string {
        const url = `blob:test/${blobs.size}`;
        blobs.set(url, blob.parts.join(""));
        return url;
      },
      revokeObjectURL: (url: string) => void revoked.push(url),
    },
    crossOriginIsolated: true,
    SharedArrayBuffer,
    Atomics,
    ...overrides,
  };
  return { scope, blobs, revoked };
}

describe("helperSpawner", () => {
  afterAll(() => setNumThreads(1));

  it("starts Node workers that share memory with the caller", async () => {
    const spawner = helperSpawner();
    if (typeof spawner === "string") throw new Error(spawner);
    expect(spawner.runtime).toBe("node");
    const words = new Int32Array(new SharedArrayBuffer(8));
    const helper = spawner.spawn(
      "Atomics.store(workerData.words, 0, 42); Atomics.notify(workerData.words, 0);",
      { words },
    );
    await helper.started;
    Atomics.wait(words, 0, 0, 5000);
    expect(Atomics.load(words, 0)).toBe(42);
    helper.terminate();
  });

  it("says which headers a page without cross-origin isolation needs", () => {
    const { scope } = pageScope({ SharedArrayBuffer: undefined, crossOriginIsolated: false });
    const reason = helperSpawner(scope);
    expect(reason).toMatch(/cross-origin isolated page/);
    expect(reason).toMatch(/Cross-Origin-Opener-Policy: same-origin/);
    expect(reason).toMatch(/Cross-Origin-Embedder-Policy: require-corp/);
    expect(reason).not.toMatch(/worker_threads/);
  });

  it("sends a page's main thread, which may not block, to a Web Worker", () => {
    const atomics = {
      wait: () => {
        throw new TypeError("Atomics.wait cannot be called in this context");
      },
    };
    const reason = helperSpawner(pageScope({ Atomics: atomics }).scope);
    expect(reason).toMatch(/main thread may not wait/);
    expect(reason).toMatch(/use threads in a Web Worker/);
  });

  it("names the missing API where there are no workers at all", () => {
    expect(helperSpawner({})).toBe("this runtime has no worker_threads and no Web Workers");
  });

  it("starts a page's helper from a blob script and its first message", async () => {
    const { scope, blobs, revoked } = pageScope();
    const spawner = helperSpawner(scope);
    if (typeof spawner === "string") throw new Error(spawner);
    expect(spawner.runtime).toBe("browser");
    FakeWorker.made = [];
    const data = { thread: 1 };
    const helper = spawner.spawn("runTheLoop(workerData);", data);
    const [worker] = FakeWorker.made;
    const script = blobs.get(worker.url) ?? "";
    expect(script).toContain("const workerData = event.data;");
    expect(script).toContain("runTheLoop(workerData);");
    expect(script.indexOf("postMessage(0)")).toBeLessThan(script.indexOf("runTheLoop"));
    expect(worker.posted).toEqual([data]);
    expect(revoked).toEqual([worker.url]);
    worker.onmessage?.({ data: 0 });
    await expect(helper.started).resolves.toBeUndefined();
    helper.terminate();
    expect(worker.terminated).toBe(true);
  });

  it("rejects `started` with a hint when a page's helper cannot start", async () => {
    const spawner = helperSpawner(pageScope().scope);
    if (typeof spawner === "string") throw new Error(spawner);
    FakeWorker.made = [];
    const helper = spawner.spawn("", {});
    FakeWorker.made[0].onerror?.({ message: "blocked by CSP" });
    await expect(helper.started).rejects.toThrow(
      /could not start \(blocked by CSP\).*worker-src blob:/);
  });
});

describe("threadsReady", () => {
  afterAll(() => setNumThreads(1));

  it("resolves with the thread count once the helpers run", async () => {
    setNumThreads(2);
    expect(await threadsReady()).toBe(2);
    expect(getNumThreads()).toBe(2);
    setNumThreads(1);
    expect(await threadsReady()).toBe(1);
  });
});
