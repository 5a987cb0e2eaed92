// The API never trains: loading TensorFlow.js would cost it ~35 MiB of resident memory for nothing.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

describe("the API's footprint", () => {
  it("loads every API module without loading TensorFlow.js", async () => {
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    // tfjs-core registers its engine on globalThis when it is imported.
    const probe = `await import("./src/index.ts"); await import("./src/server.ts"); console.log(JSON.stringify({ tfjs: globalThis._tfengine !== undefined }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], { cwd, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ tfjs: false });
  }, 70_000);
});
