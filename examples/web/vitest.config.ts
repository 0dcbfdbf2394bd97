import { defineProject } from "vitest/config";

// Unit tests, in Node; the page's tests in Chromium are `pnpm test:browser`
// (vitest.browser.config.ts), outside the main suite.
export default defineProject({ test: { name: "web", include: ["src/**/*.test.ts"] } });
