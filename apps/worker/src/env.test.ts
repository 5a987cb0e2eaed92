import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultDataDir, loadConfig } from "./env";

describe("loadConfig", () => {
  it("reads flags, which win over the environment", () => {
    const c = loadConfig(["--api", "http://api:5000/", "--token", "t0k", "--backends", "webgpu,wasm", "--name", "gpu-1"], { WORKER_API_URL: "http://other:1", WORKER_TOKEN: "env" })!;
    expect(c.apiUrl).toBe("http://api:5000");
    expect(c.token).toEqual({ kind: "value", value: "t0k" });
    expect(c.backends).toEqual(["WEBGPU", "WASM"]);
    expect(c.name).toBe("gpu-1");
  });

  it("falls back to env, then to localhost:API_PORT and the token file in DATA_DIR", () => {
    const env = loadConfig([], { WORKER_BACKENDS: "tensorflow-gpu, cpu", WORKER_NAME: "w", API_PORT: "4100", DATA_DIR: "/tmp/tl" })!;
    expect(env.apiUrl).toBe("http://localhost:4100");
    expect(env.backends).toEqual(["TENSORFLOW_GPU", "CPU"]);
    expect(env.token).toEqual({ kind: "file", path: path.join("/tmp/tl", "worker-token") });
    expect(env.cacheDir).toBe(path.join("/tmp/tl", "worker-cache"));
    expect(env.cacheMaxBytes).toBe(20 * 1024 ** 3);
    expect(loadConfig(["--cache-max-gb", "0"], {})!.cacheMaxBytes).toBe(Number.POSITIVE_INFINITY);
    expect(loadConfig([], { API_URL: "http://x:1/graphql" })!.apiUrl).toBe("http://x:1");
    expect(loadConfig([], { WORKER_API_URL: "http://a:1", API_URL: "http://b:2" })!.apiUrl).toBe("http://a:1");
  });

  it("reports every problem at once", () => {
    let error: unknown;
    try {
      loadConfig(["--api", "ftp://x", "--backends", "webgpu,tpu", "--poll=-1"], {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/--api/);
    expect(problems).toMatch(/unknown backend 'TPU'/);
    expect(problems).toMatch(/--poll/);
  });

  it("rejects unknown flags and answers null for --help", () => {
    expect(() => loadConfig(["--bogus"], {})).toThrow(ConfigError);
    expect(loadConfig(["--help"], {})).toBeNull();
  });

  it("defaults DATA_DIR to .tunelab at the workspace root", () => {
    const root = path.resolve(import.meta.dirname, "../../..");
    expect(defaultDataDir(import.meta.dirname)).toBe(path.join(root, ".tunelab"));
  });
});
