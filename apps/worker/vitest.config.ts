import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration tests start an API and several worker processes: one file at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
