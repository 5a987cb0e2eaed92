import path from "node:path";
import { defaultDataDir } from "@tunelab/db";
import { z } from "zod";

/**
 * The API's whole configuration, read once from the environment. Every problem is reported at once (one line per
 * variable) before the process exits; nothing else in the API reads process.env.
 */
const intFrom = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const schema = z.object({
  API_PORT: intFrom(4000, 0, 65535),
  API_HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  WORKER_TOKEN: z.string().min(16, "must be at least 16 characters").optional().or(z.literal("").transform(() => undefined)),
  /** Comma-separated browser origins allowed by CORS and for WebSockets; default: any localhost / 127.0.0.1 origin. */
  CORS_ORIGINS: z.string().optional(),
  /** Absolute base URL used in Artifact.downloadUrl; default: from the request's Host header. */
  PUBLIC_URL: z.string().url().optional(),
  LEASE_SECONDS: intFrom(60, 1, 3600),
  HEARTBEAT_SECONDS: intFrom(15, 1, 600),
  REAPER_INTERVAL_MS: intFrom(5000, 100, 600_000),
  MAX_ATTEMPTS: intFrom(3, 1, 100),
  BODY_LIMIT_BYTES: intFrom(1_048_576, 1024, 100 * 1024 * 1024),
  UPLOAD_LIMIT_BYTES: intFrom(512 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
  MAX_PAGE_SIZE: intFrom(200, 1, 10_000),
  MAX_QUERY_DEPTH: intFrom(12, 2, 100),
  MAX_QUERY_COST: intFrom(100_000, 100, 10_000_000),
  MAX_SUBSCRIPTIONS_PER_SOCKET: intFrom(100, 1, 10_000),
  /** Bytes queued for one WebSocket past which its messages wait for their writes again (backpressure). */
  WS_MAX_BUFFERED_BYTES: intFrom(1_048_576, 1, 1024 * 1024 * 1024),
  SEED: z.enum(["true", "false"]).default("true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ENV: z.string().default("development"),
});

export interface Env {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  workerToken: string | undefined;
  corsOrigins: string[] | undefined;
  publicUrl: string | undefined;
  leaseSeconds: number;
  heartbeatSeconds: number;
  reaperIntervalMs: number;
  maxAttempts: number;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  maxPageSize: number;
  maxQueryDepth: number;
  maxQueryCost: number;
  maxSubscriptionsPerSocket: number;
  wsMaxBufferedBytes: number;
  seed: boolean;
  logLevel: string;
  production: boolean;
}

export class EnvError extends Error {
  override readonly name = "EnvError";
}

/** Parses an environment (process.env by default); throws EnvError listing every invalid variable. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    port: e.API_PORT,
    host: e.API_HOST,
    dataDir: e.DATA_DIR ? path.resolve(e.DATA_DIR) : defaultDataDir(),
    databaseUrl: e.DATABASE_URL,
    workerToken: e.WORKER_TOKEN,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ""),
    leaseSeconds: e.LEASE_SECONDS,
    heartbeatSeconds: e.HEARTBEAT_SECONDS,
    reaperIntervalMs: e.REAPER_INTERVAL_MS,
    maxAttempts: e.MAX_ATTEMPTS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    uploadLimitBytes: e.UPLOAD_LIMIT_BYTES,
    maxPageSize: e.MAX_PAGE_SIZE,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryCost: e.MAX_QUERY_COST,
    maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
    wsMaxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
    seed: e.SEED === "true",
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === "production",
  };
}
