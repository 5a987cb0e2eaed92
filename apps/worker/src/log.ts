import { pino, type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout (pino). Every line of a run carries runId, workerId and attempt through child loggers. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "tunelab-worker", pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
