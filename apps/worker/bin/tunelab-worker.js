#!/usr/bin/env node
// Runs the bundled worker when built (pnpm build), else the TypeScript source through tsx.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/tunelab-worker.mjs", import.meta.url));
if (existsSync(bundle)) {
  await import(bundle);
} else {
  const source = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const tsx = await import.meta.resolve?.("tsx/cli");
  const child = spawnSync(process.execPath, [fileURLToPath(tsx), source, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
