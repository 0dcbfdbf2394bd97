// The demo page in headless Chromium: built and served cross-origin isolated (two threads),
// served without the headers (one thread and the reason), and from the dev server. Training
// lowers the loss, drawn test digits are classified, results match Node bit for bit, and
// models go in and out as files.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMnistFiles } from "@tapegrad/mnist";
import { evaluate, fromSpec, loadSafetensorsInto, parseSpecText } from "@tapegrad/nn";
import { Tensor } from "@tapegrad/core";
import type { ParityResult, ParitySettings, Report, TrainSettings } from "../src/protocol.js";
import { relaxedSimd } from "../src/parity.js";
import { collectErrors, launchChromium } from "./chromium.js";
import { serveStatic, type StaticServer } from "./serve.js";

type Ready = Extract<Report, { type: "ready" }>;
type Done = Extract<Report, { type: "done" }>;
/** What main.ts puts on `window.demo`. */
interface Demo {
  ready: Promise<Ready>;
  train(settings: TrainSettings): Promise<Done>;
  parity(settings: ParitySettings): Promise<ParityResult>;
  classify(): number[] | undefined;
  currentModel(): { source: string } | undefined;
}
declare const demo: Demo;

const web = join(import.meta.dirname, "..");
const dist = join(web, "dist");
const root = join(web, "..", "..");
const files = await readMnistFiles();
const PARITY: ParitySettings = { steps: 200, batchSize: 64, seed: 7 };

/** The parity run in a Node process, with the page's kernels (relaxed SIMD or not). */
function nodeParity(threads: number, relaxed: boolean): ParityResult {
  // Node 20 has relaxed SIMD behind a flag; later Nodes have it on.
  const flags = relaxed && !relaxedSimd() ? ["--experimental-wasm-relaxed-simd"] : [];
  const out = execFileSync(process.execPath, [
    ...flags, "--import", "tsx", join(web, "test", "node-parity.ts"), JSON.stringify(PARITY),
    String(threads),
  ], { cwd: root, encoding: "utf8" });
  return JSON.parse(out) as ParityResult;
}

/** Draws test image `index` 10× larger onto the page's canvas, as a user might. */
async function drawTestDigit(page: Page, index: number): Promise<void> {
  const pixels = Array.from(files.test.images.subarray(index * 784, (index + 1) * 784));
  await page.evaluate((values) => {
    const canvas = document.getElementById("pad") as HTMLCanvasElement;
    const g = canvas.getContext("2d")!;
    g.fillStyle = "#000";
    g.fillRect(0, 0, canvas.width, canvas.height);
    values.forEach((v, i) => {
      g.fillStyle = `rgb(${v}, ${v}, ${v})`;
      g.fillRect((i % 28) * 10, Math.floor(i / 28) * 10, 10, 10);
    });
  }, pixels);
}

const argmax = (xs: readonly number[]) => xs.indexOf(Math.max(...xs));

/** Waits until the element's text contains `text` (the page updates some asynchronously). */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent?.includes(want) ?? false,
    [selector, text] as const, { timeout: 30_000 });
}
let browser: Browser;
let nodeReference: ParityResult | undefined;
let pageRelaxedSimd: boolean | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("the built page, served cross-origin isolated", () => {
  let server: StaticServer;
  let page: Page;
  let errors: string[];
  let ready: Ready;

  beforeAll(async () => {
    server = await serveStatic(dist, true);
    page = await browser.newPage({ acceptDownloads: true });
    errors = collectErrors(page);
    await page.goto(server.url);
    ready = await page.evaluate(() => demo.ready);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it("loads MNIST with no console error and trains on two threads", async () => {
    expect(ready.isolated).toBe(true);
    expect(ready.threads).toBe(2);
    expect(ready.singleThreadReason).toBeUndefined();
    expect([ready.trainCount, ready.testCount]).toEqual([55000, 10000]);
    await waitForText(page, "#threads", "on 2 threads");
    expect(errors).toEqual([]);
  });

  it("lowers the loss in 300 steps of fit, then classifies digits drawn on the canvas",
    async () => {
      const done = await page.evaluate(() => demo.train({
        epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 42, maxSteps: 300,
      }));
      expect(done.steps).toBe(300);
      // From about 10 ln 2 ≈ 6.9 (every output 0.5) to well under the 3.25 of a model that
      // ignores its input.
      expect(done.firstLoss).toBeGreaterThan(5);
      expect(done.lastLoss).toBeLessThan(1);
      expect(done.testAccuracy).toBeGreaterThan(0.9);
      expect(await page.locator("#epochs li").count()).toBe(1);
      for (let index = 0; index < 5; index++) {
        await drawTestDigit(page, index);
        const probabilities = await page.evaluate(() => demo.classify());
        expect(probabilities, `test digit ${index}`).toHaveLength(10);
        expect(argmax(probabilities!), `test digit ${index}`).toBe(files.test.labels[index]);
        expect(await page.locator("#prediction").textContent()).toBe(
          `It looks like a ${files.test.labels[index]}.`);
      }
      expect(errors).toEqual([]);
    });

  it("saves the trained model as the CLI's two files, which Node loads", async () => {
    const downloads: Download[] = [];
    page.on("download", (download) => downloads.push(download));
    await page.click("#download");
    await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
    const saved = new Map<string, string>();
    const dir = mkdtempSync(join(tmpdir(), "tapegrad-web-"));
    for (const download of downloads) {
      const path = join(dir, download.suggestedFilename());
      await download.saveAs(path);
      saved.set(download.suggestedFilename(), path);
    }
    expect([...saved.keys()].sort()).toEqual(["model.safetensors", "spec.json"]);
    const model = fromSpec(parseSpecText(readFileSync(saved.get("spec.json")!)));
    loadSafetensorsInto(model, readFileSync(saved.get("model.safetensors")!));
    const x = new Tensor(Float32Array.from(files.test.images, (p) => p / 255), [10000, 784]);
    const accuracy = evaluate(model, { x, y: files.test.labels }).accuracy!;
    const shown = await page.locator("#status").textContent();
    // The page shows the accuracy it measured; Node's kernels may round a borderline digit
    // differently, hence the slack of two digits in 10,000.
    const pageAccuracy = Number(/test accuracy ([\d.]+) %/.exec(shown ?? "")![1]) / 100;
    expect(Math.abs(accuracy - pageAccuracy)).toBeLessThanOrEqual(0.0002);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the model in IndexedDB across a reload", async () => {
    await drawTestDigit(page, 0);
    const before = await page.evaluate(() => demo.classify());
    await page.click("#save-browser");
    await waitForText(page, "#model-info", "Kept in this browser");
    await page.reload();
    await page.evaluate(() => demo.ready);
    expect(await page.evaluate(() => demo.currentModel())).toBeUndefined();
    await page.click("#load-browser");
    await waitForText(page, "#model-info", "IndexedDB");
    await drawTestDigit(page, 0);
    expect(await page.evaluate(() => demo.classify())).toEqual(before);
    expect(errors).toEqual([]);
  });

  it("loads a checkpoint the CLI wrote, through the file inputs", async () => {
    const out = mkdtempSync(join(tmpdir(), "tapegrad-cli-"));
    execFileSync(process.execPath, [
      join(root, "packages", "mnist", "dist", "cli.js"), "train", "--limit", "3000", "--epochs",
      "1", "--threads", "1", "--out", out, "--json",
    ], { encoding: "utf8", stdio: "pipe" });
    const pointer = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")) as
      { path: string };
    const checkpoint = join(out, pointer.path);
    await page.setInputFiles("#spec-file", join(checkpoint, "spec.json"));
    await page.setInputFiles("#weights-file", join(checkpoint, "model.safetensors"));
    await page.click("#load-files");
    await waitForText(page, "#model-info", "spec.json + model.safetensors");
    const model = fromSpec(parseSpecText(readFileSync(join(checkpoint, "spec.json"))));
    loadSafetensorsInto(model, readFileSync(join(checkpoint, "model.safetensors")));
    model.eval();
    for (const index of [0, 1, 2]) {
      await drawTestDigit(page, index);
      const inPage = (await page.evaluate(() => demo.classify()))!;
      const pixels = files.test.images.subarray(index * 784, (index + 1) * 784);
      const x = new Tensor(Float32Array.from(pixels, (p) => p / 255), [1, 784]);
      const inNode = Array.from(model.forward(x).data);
      inPage.forEach((p, k) => expect(p).toBeCloseTo(inNode[k], 5));
    }
    expect(errors).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });

  it("trains the seeded run bit for bit as Node does", async () => {
    const inPage = await page.evaluate((settings) => demo.parity(settings), PARITY);
    expect(inPage.threads).toBe(2);
    pageRelaxedSimd = inPage.relaxedSimd;
    nodeReference = nodeParity(2, inPage.relaxedSimd);
    expect(nodeReference.relaxedSimd).toBe(inPage.relaxedSimd);
    expect(nodeReference.threads).toBe(2);
    expect(inPage.losses).toHaveLength(PARITY.steps);
    expect(inPage.losses[PARITY.steps - 1]).toBeLessThan(inPage.losses[0] / 4);
    expect(inPage.losses).toEqual(nodeReference.losses);
    expect(inPage.weightsSha256).toBe(nodeReference.weightsSha256);
    expect(errors).toEqual([]);
  });
});

describe("the built page, served without the isolation headers", () => {
  let server: StaticServer;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await serveStatic(dist, false);
    page = await browser.newPage();
    errors = collectErrors(page);
    await page.goto(server.url);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it("trains on one thread and says which headers would give it more", async () => {
    const ready = await page.evaluate(() => demo.ready);
    expect(ready.isolated).toBe(false);
    expect(ready.threads).toBe(1);
    const reason = ready.singleThreadReason ?? "";
    expect(reason).toMatch(/^setNumThreads: cannot use 2 threads; threads in a browser need /);
    expect(reason).toContain("Cross-Origin-Opener-Policy: same-origin");
    expect(reason).toContain("Cross-Origin-Embedder-Policy: require-corp");
    expect(reason).not.toMatch(/worker_threads/);
    await waitForText(page, "#threads", "on 1 thread (setNumThreads: cannot use 2 threads");
    expect(errors).toEqual([]);
  });

  it("gives the same bits on one thread", async () => {
    const inPage = await page.evaluate((settings) => demo.parity(settings), PARITY);
    expect(inPage.threads).toBe(1);
    const reference = nodeReference ?? nodeParity(2, inPage.relaxedSimd);
    expect(pageRelaxedSimd ?? inPage.relaxedSimd).toBe(inPage.relaxedSimd);
    expect(inPage.losses).toEqual(reference.losses);
    expect(inPage.weightsSha256).toBe(reference.weightsSha256);
    expect(errors).toEqual([]);
  });
});

describe("the dev server (pnpm --filter web start)", () => {
  it("sends the isolation headers, so the page trains on two threads", async () => {
    const { createServer } = await import("vite");
    const server = await createServer({
      root: web, configFile: join(web, "vite.config.ts"), logLevel: "error",
      server: { port: 0, host: "127.0.0.1" },
    });
    await server.listen();
    const page = await browser.newPage();
    const errors = collectErrors(page);
    try {
      const response = await page.goto(server.resolvedUrls!.local[0]);
      expect(response?.headers()["cross-origin-opener-policy"]).toBe("same-origin");
      expect(response?.headers()["cross-origin-embedder-policy"]).toBe("require-corp");
      const ready = await page.evaluate(() => demo.ready);
      expect([ready.isolated, ready.threads]).toEqual([true, 2]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }
  });
});
