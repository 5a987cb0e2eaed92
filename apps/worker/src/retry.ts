/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface BackoffOptions {
  /** First delay (default 200 ms). */
  initialMs?: number;
  /** Cap of one delay (default 5 s). */
  maxMs?: number;
  factor?: number;
  /** Give up after this long in total (default: never). */
  maxElapsedMs?: number;
  /** Give up after this many attempts (default: never). */
  maxAttempts?: number;
  /** Stop retrying when aborted: the last error is thrown. */
  signal?: AbortSignal;
  /** Whether an error is worth another try (default: every error). */
  retryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The delay before retry number `attempt` (1-based): exponential with "equal jitter" so a fleet does not retry in step. */
export function backoffDelay(attempt: number, { initialMs = 200, maxMs = 5000, factor = 2 }: BackoffOptions = {}, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * factor ** (attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Runs `fn` until it succeeds, retrying retryable errors with exponential backoff. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retryable = options.retryable?.(error) ?? true;
      const delay = backoffDelay(attempt, options);
      const outOfTime = options.maxElapsedMs !== undefined && Date.now() - started + delay > options.maxElapsedMs;
      const outOfTries = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (!retryable || outOfTime || outOfTries || options.signal?.aborted) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
