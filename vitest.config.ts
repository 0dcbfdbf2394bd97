import { defineConfig } from "vitest/config";

// CI sets TAPEGRAD_TEST_REPORT to a path to also get a JSON report (for its summary line).
const report = process.env.TAPEGRAD_TEST_REPORT;

export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*"],
    reporters: report ? ["default", "json"] : ["default"],
    ...(report ? { outputFile: { json: report } } : {}),
  },
});
