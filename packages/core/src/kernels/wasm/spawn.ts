// Starting a helper thread from script text and start data (a wasm module, shared memories):
// Node's worker_threads, or a Web Worker in a cross-origin isolated page. The thread pool sees
// only `HelperSpawner`, so the claiming protocol is the same code in both.

/** A helper thread that was asked to start. */
export interface HelperThread {
  /**
   * Resolves once the thread runs its script. A browser starts a worker only after the thread
   * that made it has returned to its event loop, so this resolves no sooner; it rejects if the
   * worker could not start (a Content-Security-Policy without `worker-src blob:`, say).
   */
  readonly started: Promise<void>;
  /** Stops the thread (it may be in the middle of its loop). */
  terminate(): void;
}

/**
 * Starts helper threads. `source` is classic script text that reads its start data from a
 * `workerData` binding the spawner defines; `data` may hold a `WebAssembly.Module`, shared
 * `WebAssembly.Memory` objects and plain values. A helper that is slow to start must be
 * harmless: the pool's callers never wait for a particular helper.
 */
export interface HelperSpawner {
  readonly runtime: "node" | "browser";
  spawn(source: string, data: object): HelperThread;
}

interface NodeWorker {
  unref(): void;
  once(event: "online", listener: () => void): void;
  terminate(): Promise<number>;
}
type NodeWorkerConstructor = new (
  source: string, options: { eval: true; workerData: unknown },
) => NodeWorker;

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}
interface WebGlobals {
  Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  crossOriginIsolated?: boolean;
  SharedArrayBuffer?: SharedArrayBufferConstructor;
  Atomics?: Atomics;
}

/** Node's Worker constructor, or undefined outside Node. */
function nodeWorkerConstructor(scope: object): NodeWorkerConstructor | undefined {
  const proc = (scope as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const threads = proc?.getBuiltinModule?.("node:worker_threads") as
    { Worker?: NodeWorkerConstructor } | undefined;
  return threads?.Worker;
}

const nodeSpawner = (Worker: NodeWorkerConstructor): HelperSpawner => ({
  runtime: "node",
  spawn(source, workerData) {
    const prelude = "const { workerData } = require(\"node:worker_threads\");\n";
    const worker = new Worker(prelude + source, { eval: true, workerData });
    worker.unref(); // idle helpers must not keep the process alive
    const started = new Promise<void>((resolve) => worker.once("online", resolve));
    return { started, terminate: () => void worker.terminate() };
  },
});

const browserSpawner = (web: Required<Pick<WebGlobals, "Worker" | "Blob" | "URL">>):
  HelperSpawner => ({
  runtime: "browser",
  spawn(source, data) {
    // The start data arrives as the first message; the worker says it started, then its loop
    // never returns to the event loop, so no later message is read.
    const script = "onmessage = (event) => {\nonmessage = null;\npostMessage(0);\n" +
      `const workerData = event.data;\n${source}\n};\n`;
    const url = web.URL.createObjectURL(new web.Blob([script], { type: "text/javascript" }));
    let worker: WebWorker;
    try {
      worker = new web.Worker(url, { name: "tapegrad-helper" });
    } finally {
      // The worker resolved the URL when it was constructed.
      web.URL.revokeObjectURL(url);
    }
    const started = new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new Error(`a helper thread could not start ` +
        `(${event.message}); a Content-Security-Policy must allow worker-src blob:`));
    });
    worker.postMessage(data);
    return { started, terminate: () => worker.terminate() };
  },
});

/** Whether this thread may block in `Atomics.wait` (a page's main thread may not). */
function canBlock(web: Required<Pick<WebGlobals, "SharedArrayBuffer" | "Atomics">>): boolean {
  try {
    web.Atomics.wait(new Int32Array(new web.SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The spawner this runtime has, or the reason it has none, which names what to change (in a
 * browser: the headers that make a page cross-origin isolated, or moving work into a Worker).
 * `scope` is the global object (another one in tests).
 */
export function helperSpawner(scope: object = globalThis): HelperSpawner | string {
  const NodeWorker = nodeWorkerConstructor(scope);
  if (NodeWorker !== undefined) {
    return nodeSpawner(NodeWorker);
  }
  const web = scope as WebGlobals;
  if (typeof web.Worker !== "function" || web.Blob === undefined || web.URL === undefined) {
    return "this runtime has no worker_threads and no Web Workers";
  }
  const { SharedArrayBuffer: Shared, Atomics: atomics } = web;
  if (typeof Shared !== "function" || atomics === undefined || web.crossOriginIsolated === false) {
    return "threads in a browser need SharedArrayBuffer, which only a cross-origin isolated " +
      "page has: serve the page with the headers Cross-Origin-Opener-Policy: same-origin " +
      "and Cross-Origin-Embedder-Policy: require-corp";
  }
  if (!canBlock({ SharedArrayBuffer: Shared, Atomics: atomics })) {
    return "a page's main thread may not wait (Atomics.wait): use threads in a Web Worker";
  }
  return browserSpawner({ Worker: web.Worker, Blob: web.Blob, URL: web.URL });
}

/** Whether helper threads can be started in this runtime (see `helperSpawner` for why not). */
export function threadsAvailable(): boolean {
  return typeof helperSpawner() !== "string";
}
