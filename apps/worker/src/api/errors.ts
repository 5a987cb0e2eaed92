/** Error codes the API answers in `extensions.code` that the worker acts on. */
export type ApiErrorCode =
  | "UNAUTHENTICATED"
  | "LEASE_LOST"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "INTERNAL_SERVER_ERROR"
  | "NETWORK"
  | "HTTP"
  | (string & {});

/** Any failure talking to the API. `transient` tells the caller a retry may succeed. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly code: ApiErrorCode,
    readonly transient: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The worker no longer holds the run (lease expired, run taken over or cancelled): stop it without reporting. */
export class LeaseLostError extends ApiError {
  override name = "LeaseLostError";
  constructor(message: string) {
    super(message, "LEASE_LOST", false);
  }
}

export function isTransient(error: unknown): boolean {
  return error instanceof ApiError && error.transient;
}

export function isLeaseLost(error: unknown): boolean {
  return error instanceof ApiError && error.code === "LEASE_LOST";
}
