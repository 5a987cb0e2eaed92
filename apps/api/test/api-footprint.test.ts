// The API's memory: it never trains (TensorFlow.js would cost it ~35 MiB for nothing), and it runs with its V8 flags.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { API_NODE_FLAGS } from "../src/index";

describe("the API's footprint", () => {
  it("loads every API module without loading TensorFlow.js", async () => {
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    // tfjs-core registers its engine on globalThis when it is imported.
    const probe = `await import("./src/index.ts"); await import("./src/server.ts"); console.log(JSON.stringify({ tfjs: globalThis._tfengine !== undefined }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], { cwd, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ tfjs: false });
  }, 70_000);

  it("starts (pnpm start) with the API's V8 flags", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node ${API_NODE_FLAGS.join(" ")} --import tsx src/main.ts`);
  });
});
