import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "seed-plateau",
    include: ["src/**/*.test.ts"],
  },
});
