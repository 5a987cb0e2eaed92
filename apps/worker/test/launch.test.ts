import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { WORKER_NODE_FLAGS } from "../src/node-flags";

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), "utf8");
const bin = new URL("../bin/tunelab-worker.js", import.meta.url).pathname;
const main = new URL("../src/main.ts", import.meta.url).pathname;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const FLAGS_WARNING = "node was started without the worker's flags";

/** Starts a worker against an address where no API listens and collects its log until it is waiting for the API. */
function startUntilWaiting(args: string[]): { child: ChildProcess; output: () => string; waiting: Promise<void> } {
  const child = spawn(process.execPath, [...args, "--api", "http://127.0.0.1:9", "--token", "t", "--log-level", "info"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiting = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("waiting for the API")) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`worker exited ${code} before waiting for the API:\n${out}`)));
  });
  return { child, output: () => out, waiting };
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

describe("starting a worker with its Node flags", () => {
  it("every way to start a worker carries WORKER_NODE_FLAGS: pnpm start, the bin, the container image", () => {
    const pkg = JSON.parse(read("../package.json")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`tsx ${WORKER_NODE_FLAGS.join(" ")} src/main.ts`);
    expect(read("../bin/tunelab-worker.js")).toContain(`const NODE_FLAGS = ${JSON.stringify(WORKER_NODE_FLAGS).replaceAll(",", ", ")};`);
    const entrypoints = read("../../../infra/worker.Dockerfile").match(/^ENTRYPOINT .*$/gm) ?? [];
    expect(entrypoints).toHaveLength(2);
    for (const line of entrypoints) expect(line).toBe(`ENTRYPOINT ["node", ${WORKER_NODE_FLAGS.map((f) => JSON.stringify(f)).join(", ")}, "/app/apps/worker/dist/tunelab-worker.mjs"]`);
  });

  it("the bin runs the worker with them, passes SIGTERM on for a graceful stop, and returns the worker's exit code", async () => {
    const started = startUntilWaiting([bin]);
    await started.waiting;
    expect(started.output()).not.toContain(FLAGS_WARNING);
    const exit = exitOf(started.child);
    started.child.kill("SIGTERM");
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(started.output()).toContain("shutting down");

    const bad = spawn(process.execPath, [bin, "--frobnicate"], { stdio: "ignore" });
    expect((await exitOf(bad)).code).toBe(2);
  }, 60_000);

  it("a worker started without them says so in its log, and how to start it", async () => {
    const started = startUntilWaiting(["--import", tsx, main]);
    await started.waiting;
    expect(started.output()).toContain(FLAGS_WARNING);
    expect(started.output()).toContain(WORKER_NODE_FLAGS[0]);
    const exit = exitOf(started.child);
    started.child.kill("SIGTERM");
    await exit;
  }, 60_000);
});
