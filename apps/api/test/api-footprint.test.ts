// The API's memory: it never trains (TensorFlow.js would cost it ~35 MiB for nothing), it runs with its V8 flags, and
// `pnpm start` runs it bundled (no TypeScript compiler in the process).
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { bundleNodeEntry } from "../scripts/bundle.mjs";
import { API_NODE_FLAGS } from "../src/index";

describe("the API's footprint", () => {
  it("loads every API module without loading TensorFlow.js", async () => {
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    // tfjs-core registers its engine on globalThis when it is imported.
    const probe = `await import("./src/index.ts"); await import("./src/server.ts"); console.log(JSON.stringify({ tfjs: globalThis._tfengine !== undefined }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], { cwd, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ tfjs: false });
  }, 70_000);

  it("starts (pnpm start) as a bundle with the API's V8 flags", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node scripts/bundle.mjs && node ${API_NODE_FLAGS.join(" ")} dist/main.mjs`);
  });

  it("runs from its bundle: migrations, schema files and builtin assets still resolve next to their sources", async () => {
    // Bundled somewhere else than dist/ on purpose: every path the bundle uses must be relative to where it lies.
    const dir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bundle-"));
    const out = path.join(dir, "out", "main.mjs");
    await bundleNodeEntry(fileURLToPath(new URL("../src/main.ts", import.meta.url)), out);
    const child = spawn(process.execPath, [...API_NODE_FLAGS, out], {
      env: { ...process.env, DATABASE_URL: "", DATA_DIR: path.join(dir, "data"), API_PORT: "0", API_HOST: "127.0.0.1", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let log = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          log += chunk.toString();
          const m = /"url":"([^"]+)"/.exec(log);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`the bundled API exited with ${code}: ${log.slice(-2000)}`)));
      });
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ datasets { name } models { name } }" }) });
      const body = (await res.json()) as { data: { datasets: { name: string }[]; models: { name: string }[] } };
      // Seeded from the trainer's builtin assets into a database the migrations created.
      expect(body.data.datasets.map((d) => d.name)).toContain("mnist-digits-5-9");
      expect(body.data.models.map((m) => m.name)).toContain("digits-0-4-cnn");
      const graphiql = await fetch(url.replace(/\/graphql$/, "/graphiql"));
      expect(graphiql.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
