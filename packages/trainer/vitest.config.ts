import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // 2 shared cores: keep the TensorFlow.js tests in few workers.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
