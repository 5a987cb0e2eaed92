import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";

/** Training backends, best first (mirrors the GraphQL `Backend` enum). */
export const BACKENDS = ["TENSORFLOW_GPU", "TENSORFLOW", "WEBGPU", "WASM", "CPU"] as const;
export type Backend = (typeof BACKENDS)[number];

export const USAGE = `Usage: tunelab-worker [--api URL] [--token TOKEN] [--backends webgpu,wasm,...] [--name NAME]

Claims fine-tuning runs from a Tunelab API, trains them with @tunelab/trainer and reports back.

Options (each also from the environment):
  --api URL          API base URL                 WORKER_API_URL, API_URL (default http://localhost:\${API_PORT:-4000})
  --token TOKEN      worker token                 WORKER_TOKEN (default: the file <DATA_DIR>/worker-token)
  --backends LIST    backends to offer, best first WORKER_BACKENDS (default: every backend available here)
                     one or more of tensorflow-gpu, tensorflow, webgpu, wasm, cpu
  --name NAME        name shown to operators      WORKER_NAME (default: the host name)
  --data-dir DIR     data directory               DATA_DIR (default: .tunelab at the workspace root)
  --cache-dir DIR    artifact cache               WORKER_CACHE_DIR (default <DATA_DIR>/worker-cache)
  --cache-max-gb N   cache size limit (LRU)       WORKER_CACHE_MAX_GB (default 20; 0 = no limit)
  --poll SECONDS     idle wait between claims     WORKER_POLL_SECONDS (default 2)
  --log-level LEVEL  pino level                   LOG_LEVEL (default info)
  -h, --help         show this help
`;

/** Thrown for bad flags or environment; main prints it with the usage and exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

const backendName = z
  .string()
  .transform((s) => s.trim().toUpperCase().replace(/-/g, "_"))
  .pipe(z.enum(BACKENDS, { error: (issue) => `unknown backend '${String(issue.input)}' (use ${BACKENDS.map((b) => b.toLowerCase().replace(/_/g, "-")).join(", ")})` }));

const schema = z.object({
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://localhost:4000" })
    .transform((u) => u.replace(/\/+$/, "").replace(/\/graphql$/, "")),
  token: z.string().min(1, "must not be empty").optional(),
  backends: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === "" ? undefined : s.split(",").filter((x) => x.trim() !== "")))
    .pipe(z.array(backendName).min(1).optional()),
  name: z.string().min(1).max(200),
  dataDir: z.string().min(1),
  cacheDir: z.string().min(1).optional(),
  cacheMaxGb: z.coerce.number().min(0).max(1_000_000),
  pollSeconds: z.coerce.number().positive().max(3600),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  apiPort: z.coerce.number().int().min(1).max(65535).optional(),
});

export interface WorkerConfig {
  apiUrl: string;
  /** Explicit token, or the file to read it from (re-read until it exists: the embedded API writes it on start). */
  token: { kind: "value"; value: string } | { kind: "file"; path: string };
  /** Backends to offer, best first; undefined = all available. */
  backends?: Backend[];
  name: string;
  dataDir: string;
  cacheDir: string;
  /** Evict least recently used cache entries beyond this many bytes (Infinity = no limit). */
  cacheMaxBytes: number;
  pollSeconds: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/**
 * Reads the worker's configuration from flags and environment (flags win). Reports every problem at once by throwing
 * ConfigError; returns null when --help was asked for.
 */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): WorkerConfig | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        api: { type: "string" },
        token: { type: "string" },
        backends: { type: "string" },
        name: { type: "string" },
        "data-dir": { type: "string" },
        "cache-dir": { type: "string" },
        "cache-max-gb": { type: "string" },
        poll: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
  if (values.help) return null;

  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const apiPort = str(env.API_PORT);
  const raw = {
    apiPort,
    apiUrl: str(values.api) ?? str(env.WORKER_API_URL) ?? str(env.API_URL) ?? `http://localhost:${apiPort ?? 4000}`,
    token: str(values.token) ?? str(env.WORKER_TOKEN),
    backends: str(values.backends) ?? str(env.WORKER_BACKENDS),
    name: str(values.name) ?? str(env.WORKER_NAME) ?? os.hostname(),
    dataDir: str(values["data-dir"]) ?? str(env.DATA_DIR) ?? defaultDataDir(process.cwd()),
    cacheDir: str(values["cache-dir"]) ?? str(env.WORKER_CACHE_DIR),
    cacheMaxGb: str(values["cache-max-gb"]) ?? str(env.WORKER_CACHE_MAX_GB) ?? "20",
    pollSeconds: str(values.poll) ?? str(env.WORKER_POLL_SECONDS) ?? "2",
    logLevel: str(values["log-level"]) ?? str(env.LOG_LEVEL) ?? "info",
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const flagOf: Record<string, string> = {
      apiUrl: "--api / WORKER_API_URL",
      token: "--token / WORKER_TOKEN",
      backends: "--backends / WORKER_BACKENDS",
      name: "--name / WORKER_NAME",
      dataDir: "--data-dir / DATA_DIR",
      cacheDir: "--cache-dir / WORKER_CACHE_DIR",
      cacheMaxGb: "--cache-max-gb / WORKER_CACHE_MAX_GB",
      pollSeconds: "--poll / WORKER_POLL_SECONDS",
      logLevel: "--log-level / LOG_LEVEL",
      apiPort: "API_PORT",
    };
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? "");
        return `${flagOf[key] ?? key}: ${issue.message}`;
      }),
    );
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.dataDir);
  return {
    apiUrl: c.apiUrl,
    token: c.token ? { kind: "value", value: c.token } : { kind: "file", path: path.join(dataDir, "worker-token") },
    backends: c.backends ? [...new Set(c.backends)] : undefined,
    name: c.name,
    dataDir,
    cacheDir: path.resolve(c.cacheDir ?? path.join(dataDir, "worker-cache")),
    cacheMaxBytes: c.cacheMaxGb === 0 ? Number.POSITIVE_INFINITY : Math.round(c.cacheMaxGb * 1024 ** 3),
    pollSeconds: c.pollSeconds,
    logLevel: c.logLevel,
  };
}

/**
 * `.tunelab` at the workspace root (the nearest directory with pnpm-workspace.yaml), else in `start`. Same rule as
 * `defaultDataDir()` in @tunelab/db, replicated so the worker does not pull in database drivers.
 */
export function defaultDataDir(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return path.join(dir, ".tunelab");
    if (path.dirname(dir) === dir) return path.join(path.resolve(start), ".tunelab");
  }
}
