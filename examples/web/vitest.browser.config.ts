import { defineConfig } from "vitest/config";

// `pnpm test:browser`: the page in headless Chromium (test/*.browser.test.ts), after
// `pnpm --filter web build`. One file, one browser, run in order.
export default defineConfig({
  test: {
    name: "web-browser",
    root: import.meta.dirname,
    include: ["test/**/*.browser.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
