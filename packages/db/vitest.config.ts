import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // PGlite boots are CPU-heavy; a couple of files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
