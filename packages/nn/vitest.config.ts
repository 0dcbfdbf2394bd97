import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "nn",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
