import { runs, workers } from "@tunelab/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Context } from "../context";
import { isUuid } from "../errors";
import { ACTIVE_STATUSES, requireWorker } from "./lock-run";

/** Marks the worker alive; extends the lease of runId while the worker still holds it and says whether to stop. */
export async function heartbeat(ctx: Context, workerId: string, runId: string | null | undefined) {
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    await tx.update(workers).set({ lastHeartbeatAt: new Date(), stoppedAt: null }).where(eq(workers.id, workerId));
    if (!runId) return { leaseExpiresAt: null, cancelRequested: false, leaseLost: false };
    if (!isUuid(runId)) return { leaseExpiresAt: null, cancelRequested: false, leaseLost: true };
    const leaseExpiresAt = new Date(Date.now() + ctx.env.leaseSeconds * 1000);
    const [run] = await tx
      .update(runs)
      .set({ leaseExpiresAt })
      .where(and(eq(runs.id, runId), eq(runs.workerId, workerId), inArray(runs.status, ACTIVE_STATUSES)))
      .returning({ cancelRequestedAt: runs.cancelRequestedAt });
    if (!run) return { leaseExpiresAt: null, cancelRequested: false, leaseLost: true };
    return { leaseExpiresAt, cancelRequested: run.cancelRequestedAt != null, leaseLost: false };
  });
}
