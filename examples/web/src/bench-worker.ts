// The W1 bench in a page: MNIST fetched, two threads where the page is cross-origin isolated,
// then W1 trained one epoch per "go" message, each epoch's seconds posted back.
import { getNumThreads, setNumThreads, threadsReady } from "@tapegrad/core";
import { fetchMnist } from "./mnist-fetch.js";
import { relaxedSimd } from "./parity.js";
import { trainW1 } from "./w1.js";

/** Worker → page. */
export type BenchReport =
  | { type: "ready"; threads: number; relaxedSimd: boolean; reason?: string }
  | { type: "epoch"; epoch: number; seconds: number }
  | { type: "done"; testAccuracy: number }
  | { type: "error"; message: string };
/** Page → worker. */
export type BenchRequest = { type: "start"; epochs: number } | { type: "go" };

const scope = self as unknown as {
  postMessage(message: BenchReport): void;
  onmessage: ((event: MessageEvent<BenchRequest>) => void) | null;
};
let go: (() => void) | undefined;
let start: ((epochs: number) => void) | undefined;
const started = new Promise<number>((resolve) => (start = resolve));
scope.onmessage = ({ data }) => {
  if (data.type === "start") start?.(data.epochs);
  else go?.();
};

async function run(): Promise<void> {
  let reason: string | undefined;
  try {
    setNumThreads(2);
    await threadsReady();
  } catch (error) {
    setNumThreads(1);
    reason = (error as Error).message;
  }
  const files = await fetchMnist(import.meta.env.BASE_URL);
  scope.postMessage({ type: "ready", threads: getNumThreads(), relaxedSimd: relaxedSimd(),
    ...(reason === undefined ? {} : { reason }) });
  const epochs = await started;
  const { testAccuracy } = await trainW1(files, epochs, {
    before: () => new Promise<void>((resolve) => (go = resolve)),
    after: (epoch, seconds) => scope.postMessage({ type: "epoch", epoch, seconds }),
  });
  scope.postMessage({ type: "done", testAccuracy });
}

run().catch((error: Error) => scope.postMessage({ type: "error", message: error.message }));
