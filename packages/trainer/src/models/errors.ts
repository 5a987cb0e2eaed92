export type ModelLoadErrorCode = "NOT_FOUND" | "CORRUPT" | "NETWORK" | "INVALID";

/** A model could not be loaded; `code` says why (NOT_FOUND: 404/missing file, CORRUPT: unreadable JSON/weights, NETWORK: gave up after retries). */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
  constructor(
    readonly code: ModelLoadErrorCode,
    message: string,
    readonly url?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
