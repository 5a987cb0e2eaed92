import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each file boots PGlite from a snapshot and starts real servers: two files at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
  },
});
