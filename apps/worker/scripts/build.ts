// Bundles the worker into dist/tunelab-worker.mjs (+ dist/engine-thread.mjs, the trainer's thread). Native and wasm-carrying packages stay external (they
// load .node / .wasm files relative to their own package directory) and are resolved from this package's
// node_modules at run time: @tensorflow/tfjs-node(-gpu), webgpu (Dawn), @tensorflow/tfjs-backend-wasm.
import { build } from "esbuild";
import { rm } from "node:fs/promises";

const external = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "webgpu", "@tensorflow/tfjs-backend-wasm"];

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = await build({
  // The trainer runs in a worker thread: its entry is a second file next to the main one.
  entryPoints: {
    "tunelab-worker": new URL("../src/main.ts", import.meta.url).pathname,
    "engine-thread": new URL("../src/engine-thread.ts", import.meta.url).pathname,
  },
  outdir: new URL("../dist", import.meta.url).pathname,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external,
  metafile: true,
  logLevel: "warning",
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __tlCreateRequire } from 'node:module'; const require = __tlCreateRequire(import.meta.url);" },
});
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
console.log(`dist/tunelab-worker.mjs + dist/engine-thread.mjs: ${(bytes / 1e6).toFixed(1)} MB (external: ${external.join(", ")})`);
