/**
 * The batch bar of the run page's "Training" step, from the run's live events.
 *
 * The worker sends batch progress (`train` Progress events) at most twice a second, and none while epochs come faster
 * than that: the epoch counter is the progress then. So a batch count goes stale when an epoch completes (the next
 * epoch starts at batch 0), and once a further epoch completes with no batch progress in between, no bar is shown
 * rather than a count from epochs ago.
 */
export interface BatchProgressState {
  last: { done: number; total: number } | null;
  /** Epochs completed since the last batch progress. */
  epochsSince: number;
}

export const NO_BATCH_PROGRESS: BatchProgressState = { last: null, epochsSince: 0 };

export const onBatchProgress = (_: BatchProgressState, done: number, total: number | null | undefined): BatchProgressState => ({
  last: total ? { done, total } : null,
  epochsSince: 0,
});

export const onEpochCompleted = (state: BatchProgressState): BatchProgressState => ({ ...state, epochsSince: state.epochsSince + 1 });

/** What the bar shows: batches done of the epoch in training, or null for no bar. */
export function batchBar(state: BatchProgressState): { done: number; total: number } | null {
  if (!state.last || state.epochsSince > 1) return null;
  return { done: state.epochsSince === 0 ? Math.min(state.last.done, state.last.total) : 0, total: state.last.total };
}
