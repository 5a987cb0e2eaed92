/**
 * The batch bar of the run page's "Training" step, from the run's latest `train` Progress event and the number of
 * epochs completed since it arrived.
 *
 * The worker sends batch progress at most twice a second, and none while epochs come faster than that: the epoch
 * counter is the progress then. So a batch count goes stale when an epoch completes (the next epoch starts at batch 0),
 * and once a further epoch completes with no batch progress in between, no bar is shown rather than a count from
 * epochs ago.
 */
export function batchBar(
  train: { done: number; total?: number | null } | undefined,
  epochsSince: number,
): { done: number; total: number } | null {
  if (!train?.total || epochsSince > 1) return null;
  return { done: epochsSince === 0 ? Math.min(train.done, train.total) : 0, total: train.total };
}
