/**
 * V8 flags the API runs with (`pnpm start`; bench/ starts its API processes with them too). An 8 MiB young generation
 * instead of V8's 16 MiB: a burst of 1,000 subscribers connecting at once grows the heap less, and the embedded
 * database already holds ~140 MiB in the same process. Measured (docs/benchmarks.md): API CPU per 100-epoch report
 * 1.09 / 1.21 / 1.37 ms at 16 / 8 / 4 MiB; the embedded API's peak RSS at 1,000 subscribers varies between runs by more
 * than 8 and 4 MiB differ.
 */
export const API_NODE_FLAGS = ["--max-semi-space-size=8"] as const;
