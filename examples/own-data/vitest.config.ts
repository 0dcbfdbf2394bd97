import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "own-data",
    include: ["src/**/*.test.ts"],
  },
});
