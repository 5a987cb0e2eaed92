import { sqlErrorOf } from "@tunelab/db";
import { GraphQLError, type GraphQLFormattedError } from "graphql";

/**
 * Every expected failure is an AppError with a stable code. The code becomes `extensions.code` in GraphQL errors and
 * picks the HTTP status on the artifact routes. Messages say what to fix.
 */
export const ERROR_CODES = [
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "LEASE_LOST",
  "PAYLOAD_TOO_LARGE",
  "UPSTREAM_FAILED",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
    this.code = code;
  }
}

export const badInput = (message: string, extra?: Record<string, unknown>) => new AppError("BAD_USER_INPUT", message, extra);
export const notFound = (what: string, id: string) => new AppError("NOT_FOUND", `No ${what} with id ${JSON.stringify(id)}.`, { id });
export const conflict = (message: string, extra?: Record<string, unknown>) => new AppError("CONFLICT", message, extra);
export const leaseLost = (runId: string) =>
  new AppError("LEASE_LOST", `This worker no longer holds run ${runId} (lease expired, re-queued, or finished): stop it.`, { runId });

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "BAD_USER_INPUT":
      return 400;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
    case "LEASE_LOST":
      return 409;
    case "UNAUTHENTICATED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "PAYLOAD_TOO_LARGE":
      return 413;
    case "UPSTREAM_FAILED":
      return 502;
    case "INTERNAL_SERVER_ERROR":
      return 500;
    default:
      return assertNever(code);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID_RE.test(s);

/**
 * Postgres refuses a NUL character (U+0000) in text (SQLSTATE 22021) and in jsonb (22P05, its \u0000 escape); the
 * statement, and its transaction, wrote nothing. Such input is the client's to fix, not an internal error.
 */
const NUL_SQLSTATES = new Set(["22021", "22P05"]);
export function nulCharacterError(error: unknown): AppError | undefined {
  const sqlError = sqlErrorOf(error);
  if (!sqlError || !NUL_SQLSTATES.has(sqlError.code)) return undefined;
  return badInput("A text value contains a NUL character (U+0000), which cannot be stored: remove it and send the request again.");
}

/**
 * Shapes every error that leaves the server: AppErrors and GraphQL validation errors keep their message and code;
 * a NUL character Postgres refused becomes BAD_USER_INPUT; anything unexpected becomes INTERNAL_SERVER_ERROR with a
 * generic message (logged with its stack, never sent).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log: (err: unknown) => void): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError ?? error;
  const code = formatted.extensions?.code;
  if (original instanceof AppError || (original instanceof GraphQLError && code && code !== "INTERNAL_SERVER_ERROR")) {
    const { stacktrace: _s, ...ext } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions: ext };
  }
  if (code && code !== "INTERNAL_SERVER_ERROR") {
    const { stacktrace: _s, ...ext } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions: ext };
  }
  // Apollo wraps resolver errors in GraphQLError; AppError inside originalError handled above.
  const inner = (original as { originalError?: unknown })?.originalError;
  const known = inner instanceof AppError ? inner : nulCharacterError(original);
  if (known) return { message: known.message, locations: formatted.locations, path: formatted.path, extensions: known.extensions };
  log(original);
  return {
    message: "Internal server error: the API logged the details.",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** The error for a worker operation without a valid token; says whether the token was missing or wrong. */
export function unauthenticated(ctx: { invalidToken?: boolean }): AppError {
  return new AppError(
    "UNAUTHENTICATED",
    ctx.invalidToken
      ? "The worker token in Authorization is not valid (unknown or revoked): check --token / WORKER_TOKEN / <DATA_DIR>/worker-token."
      : "Worker operations need Authorization: Bearer <worker token>.",
  );
}
