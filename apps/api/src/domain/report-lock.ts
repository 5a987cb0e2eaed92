import { type RunRow, runs, type Tx } from "@tunelab/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import { isUuid } from "../errors";
import { ACTIVE_STATUSES, lockHeldRun, registeredWithToken, requireWorker } from "./lock-run";

/**
 * requireWorker + lockHeldRun (with the lease extension) in ONE statement for the common case: the run exists, is
 * active, is held by this worker, and the worker was registered with this request's token. The UPDATE locks the run
 * row for the rest of the transaction like SELECT ... FOR UPDATE. When it matches nothing, the step-by-step checks run
 * and throw the precise error (NOT_FOUND, FORBIDDEN, LEASE_LOST, UNAUTHENTICATED).
 */
export async function lockReportingRun(
  tx: Tx,
  workerId: string,
  runId: string,
  tokenId: string | null,
  leaseSeconds?: number,
): Promise<RunRow> {
  if (tokenId && isUuid(workerId) && isUuid(runId)) {
    const leaseExpiresAt = leaseSeconds ? new Date(Date.now() + leaseSeconds * 1000) : null;
    const [run] = await tx
      .update(runs)
      .set({ leaseExpiresAt: leaseExpiresAt ?? sql`${runs.leaseExpiresAt}` })
      .where(
        and(
          eq(runs.id, runId),
          eq(runs.workerId, workerId),
          inArray(runs.status, ACTIVE_STATUSES),
          registeredWithToken(workerId, tokenId),
        ),
      )
      .returning();
    if (run) return run;
  }
  await requireWorker(tx, workerId, tokenId);
  return lockHeldRun(tx, workerId, runId, leaseSeconds);
}
