/** An error named 'AbortError' (what fetch and DOM APIs throw), raised when a run is cancelled through its signal. */
export function abortError(reason?: unknown): Error {
  const message = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "The run was cancelled";
  const err = new Error(message);
  err.name = "AbortError";
  return err;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal.reason);
}
