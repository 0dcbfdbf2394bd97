import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "mnist",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
