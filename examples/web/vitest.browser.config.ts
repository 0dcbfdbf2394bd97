import { defineConfig } from "vitest/config";

// `pnpm test:browser`: the page in headless Chromium (test/*.browser.test.ts), after
// `pnpm --filter web build`. One file, one browser, run in order. CI sets TAPEGRAD_TEST_REPORT
// to also get a JSON report, as for the main suite.
const report = process.env.TAPEGRAD_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ["default", "json"] : ["default"],
    ...(report ? { outputFile: { json: report } } : {}),
    name: "web-browser",
    root: import.meta.dirname,
    include: ["test/**/*.browser.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
