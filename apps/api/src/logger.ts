import pino, { type Logger } from "pino";

export type { Logger };

/** Structured JSON logs; child loggers carry runId / workerId / attempt on every line of a run. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "api" } });
}
