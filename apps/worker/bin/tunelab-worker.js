#!/usr/bin/env node
// Starts the worker in a child process with the worker's Node flags (V8 flags count only when a process starts): the
// bundled worker when built (pnpm build), else the TypeScript source through tsx.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/** WORKER_NODE_FLAGS of src/node-flags.ts, which says why (test/launch.test.ts keeps the two equal). */
const NODE_FLAGS = ["--v8-pool-size=1", "--max-semi-space-size=64"];

const bundle = fileURLToPath(new URL("../dist/tunelab-worker.mjs", import.meta.url));
const args = existsSync(bundle) ? [...NODE_FLAGS, bundle] : [tsxCli(), ...NODE_FLAGS, fileURLToPath(new URL("../src/main.ts", import.meta.url))];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: "inherit" });
// Ctrl-C in a terminal reaches the worker itself (same process group), and a second one would make it quit without
// handing its run back: not passed on. A supervisor's SIGTERM or SIGHUP to this process is.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (error) => {
  console.error(`tunelab-worker: could not start ${process.execPath}: ${error.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));

function tsxCli() {
  try {
    return fileURLToPath(import.meta.resolve("tsx/cli"));
  } catch {
    console.error("tunelab-worker: no build (dist/tunelab-worker.mjs) and no tsx to run the source: run `pnpm --filter @tunelab/worker build`, or install the worker's dev dependencies.");
    process.exit(1);
  }
}
