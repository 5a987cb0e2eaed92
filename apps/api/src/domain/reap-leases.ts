import { rowsOf, runs, type Tx } from "@tunelab/db";
import { eq, sql } from "drizzle-orm";
import type { Services } from "../context";
import { releaseWorker, setRunStatus } from "./lock-run";

/**
 * Re-queues runs whose lease expired (the worker died): attempt < max_attempts -> QUEUED for another worker,
 * otherwise FAILED "worker lost"; a run whose cancel was requested becomes CANCELLED. Every API process runs this;
 * `FOR UPDATE SKIP LOCKED` plus re-checking the lease under the lock makes concurrent reapers safe.
 */
export async function reapExpiredLeases(s: Services): Promise<number> {
  return s.handle.db.transaction(async (tx: Tx) => {
    const expired = rowsOf(
      await tx.execute(sql`
        SELECT id FROM runs
        WHERE status IN ('PREPARING', 'RUNNING') AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT 100
        FOR UPDATE SKIP LOCKED`),
    );
    for (const { id } of expired) {
      const [run] = await tx.select().from(runs).where(eq(runs.id, String(id)));
      if (!run) continue;
      const log = s.log.child({ runId: run.id, workerId: run.workerId, attempt: run.attempt });
      if (run.cancelRequestedAt) {
        await setRunStatus(tx, run, "CANCELLED", { finishedAt: new Date(), leaseExpiresAt: null, workerId: null });
        log.warn("lease expired on a cancel-requested run: cancelled");
      } else if (run.attempt >= run.maxAttempts) {
        await setRunStatus(tx, run, "FAILED", {
          error: `worker lost: no heartbeat within the lease on attempt ${run.attempt} of ${run.maxAttempts}`,
          errorStep: "lease",
          finishedAt: new Date(),
          leaseExpiresAt: null,
        });
        log.warn("lease expired on the last attempt: failed (worker lost)");
      } else {
        await setRunStatus(tx, run, "QUEUED", { workerId: null, leaseExpiresAt: null, error: "worker lost: re-queued" });
        log.warn("lease expired: re-queued for another attempt");
      }
      await releaseWorker(tx, run.workerId, run.id);
    }
    return expired.length;
  });
}

/** Runs the reaper every intervalMs until stopped. */
export function startReaper(s: Services): () => void {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      await reapExpiredLeases(s);
    } catch (error) {
      if (!stopped) s.log.error({ err: error }, "lease reaper failed");
    }
    if (!stopped) timer = setTimeout(tick, s.env.reaperIntervalMs);
  };
  let timer = setTimeout(tick, Math.min(1000, s.env.reaperIntervalMs));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
