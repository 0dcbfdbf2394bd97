// W1 epoch seconds in Chromium against Node on this machine, their epochs taking turns so both
// see the same load: `pnpm --filter web bench [--epochs N] [--relaxed-simd]`. The page is the
// built bench.html served cross-origin isolated (two threads); Node runs two threads too.
// --relaxed-simd gives Node 20 the fused multiply-add kernels Chromium has by default.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { join } from "node:path";
import { launchChromium } from "../test/chromium.js";
import { serveStatic } from "../test/serve.js";
import type { BenchReport } from "../src/bench-worker.js";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "5" }, "relaxed-simd": { type: "boolean" } },
});
// Before the first WebAssembly module is compiled, so before the packages load.
if (values["relaxed-simd"] === true) setFlagsFromString("--experimental-wasm-relaxed-simd");
const { setNumThreads, threadsReady } = await import("@tapegrad/core");
const { readMnistFiles } = await import("@tapegrad/mnist");
const { relaxedSimd } = await import("../src/parity.js");
const { trainW1 } = await import("../src/w1.js");

interface Bench {
  ready: Promise<{ threads: number; relaxedSimd: boolean; reason?: string }>;
  start(epochs: number): void;
  go(): Promise<BenchReport>;
  next(): Promise<BenchReport>;
}
declare const bench: Bench;

const epochs = Number(values.epochs);
const server = await serveStatic(join(import.meta.dirname, "..", "dist"), true);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on("pageerror", (error) => console.error(`page: ${error.message}`));
  await page.goto(`${server.url}bench.html`);
  const inPage = await page.evaluate(() => bench.ready);
  setNumThreads(2);
  const nodeThreads = await threadsReady();
  const files = await readMnistFiles();
  await page.evaluate((n) => bench.start(n), epochs);
  const rows: Array<{ chromium: number; node: number; load: number }> = [];
  let chromium = 0;
  const node = await trainW1(files, epochs, {
    // The page's epoch first, then Node's: the same load, one after the other.
    before: async () => {
      const report = await page.evaluate(() => bench.go());
      if (report.type !== "epoch") throw new Error(`the page: ${JSON.stringify(report)}`);
      chromium = report.seconds;
    },
    after: (_, seconds) => rows.push({ chromium, node: seconds, load: loadavg()[0] }),
  });
  const done = await page.evaluate(() => bench.next());
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const kernels = (relaxed: boolean) => (relaxed ? "relaxed-SIMD FMA" : "SIMD, no FMA");
  console.log(`W1 epochs, alternating (Chromium ${inPage.threads} threads, ` +
    `${kernels(inPage.relaxedSimd)}; Node ${process.version} ${nodeThreads} threads, ` +
    `${kernels(relaxedSimd())}):`);
  rows.forEach((r, i) => console.log(`  epoch ${i + 1}: Chromium ${r.chromium.toFixed(3)} s, ` +
    `Node ${r.node.toFixed(3)} s, ratio ${(r.chromium / r.node).toFixed(2)}, ` +
    `load ${r.load.toFixed(2)}`));
  console.log(`  median: Chromium ${median(rows.map((r) => r.chromium)).toFixed(3)} s, ` +
    `Node ${median(rows.map((r) => r.node)).toFixed(3)} s; Chromium/Node per epoch ` +
    `${median(rows.map((r) => r.chromium / r.node)).toFixed(2)}; test accuracy Chromium ` +
    `${done.type === "done" ? (100 * done.testAccuracy).toFixed(2) : "?"} %, Node ` +
    `${(100 * node.testAccuracy).toFixed(2)} %`);
} finally {
  await browser.close();
  await server.close();
}
