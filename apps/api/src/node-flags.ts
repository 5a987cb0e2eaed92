/**
 * V8 flags the API runs with (`pnpm start`; bench/ starts its API processes with them too). A 4 MiB young generation
 * instead of V8's 16 MiB: a burst of 1,000 subscribers connecting at once otherwise grows the heap by ~40 MiB, and
 * the embedded database already holds ~140 MiB in the same process.
 */
export const API_NODE_FLAGS = ["--max-semi-space-size=4"] as const;
