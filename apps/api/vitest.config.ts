import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds without an exports map: Node loads the CJS one for
    // graphql-ws/Apollo, Vite would pick the ESM one for our sources. One copy only, or instanceof checks fail.
    alias: { graphql: require.resolve("graphql").replace(/index\.js$/, "index.js") },
  },
  test: {
    // Each file boots PGlite from a snapshot and starts real servers: two files at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
  },
});
