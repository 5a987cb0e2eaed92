import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const main = new URL("../src/main.ts", import.meta.url).pathname;
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", tsx, main, ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 });

describe("tunelab-worker CLI", () => {
  it("exits 2 with every problem and the usage on bad flags or environment", () => {
    const r = run(["--api", "not a url", "--backends", "webgpu,tpu"], { WORKER_POLL_SECONDS: "soon" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--api / WORKER_API_URL: must be an http(s) URL");
    expect(r.stderr).toContain("unknown backend 'TPU'");
    expect(r.stderr).toContain("--poll / WORKER_POLL_SECONDS");
    expect(r.stderr).toContain("Usage: tunelab-worker");
    expect(run(["--frobnicate"]).status).toBe(2);
  });

  it("prints the usage for --help and exits 0", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("WORKER_BACKENDS");
  });
});
