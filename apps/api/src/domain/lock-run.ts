import { type RunRow, runs, type RunStatus, type Tx, workers } from "@tunelab/db";
import { eq, type SQL, sql } from "drizzle-orm";
import { AppError, isUuid, leaseLost, notFound } from "../errors";
import { publishRunEvents } from "../pubsub";

/** Locks a run row for the rest of the transaction; NOT_FOUND when it does not exist. */
export async function lockRun(tx: Tx, runId: string): Promise<RunRow> {
  if (!isUuid(runId)) throw notFound("run", runId);
  const [run] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
  if (!run) throw notFound("run", runId);
  return run;
}

/** Checks that a worker exists and was registered with the token of this request. */
export async function requireWorker(tx: Tx, workerId: string, tokenId: string | null) {
  if (!tokenId) throw new AppError("UNAUTHENTICATED", "Worker operations need Authorization: Bearer <worker token>.");
  if (!isUuid(workerId)) throw notFound("worker", workerId);
  const [worker] = await tx.select().from(workers).where(eq(workers.id, workerId));
  if (!worker) throw notFound("worker", workerId);
  if (worker.tokenId !== tokenId) throw new AppError("FORBIDDEN", `Worker ${workerId} was registered with another token.`);
  return worker;
}

/** Statuses in which a worker holds a run (its lease counts). */
export const ACTIVE_STATUSES: RunStatus[] = ["PREPARING", "RUNNING"];

/** SQL condition: the worker exists and was registered with this token (the one-statement fast paths' check). */
export function registeredWithToken(workerId: string, tokenId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM workers w WHERE w.id = ${workerId} AND w.token_id = ${tokenId})`;
}

/**
 * Locks the run and checks that this worker holds its lease; LEASE_LOST otherwise. A report from the holder is proof
 * of life, so it also extends the lease (a worker busy reporting never loses its run between heartbeats).
 */
export async function lockHeldRun(tx: Tx, workerId: string, runId: string, leaseSeconds?: number): Promise<RunRow> {
  const run = await lockRun(tx, runId);
  if (run.workerId !== workerId || !ACTIVE_STATUSES.includes(run.status)) throw leaseLost(runId);
  if (leaseSeconds) {
    const leaseExpiresAt = new Date(Date.now() + leaseSeconds * 1000);
    await tx.update(runs).set({ leaseExpiresAt }).where(eq(runs.id, runId));
    return { ...run, leaseExpiresAt };
  }
  return run;
}

/** Moves a run to a new status, records a StatusChanged event and notifies subscribers (same transaction). */
export async function setRunStatus(
  tx: Tx,
  run: RunRow,
  status: RunStatus,
  changes: Partial<typeof runs.$inferInsert> = {},
): Promise<RunRow> {
  const [updated] = await tx
    .update(runs)
    .set({ ...changes, status })
    .where(eq(runs.id, run.id))
    .returning();
  await publishRunEvents(tx, run, [
    { type: "STATUS", payload: { status, error: changes.error ?? null, attempt: updated!.attempt } },
  ]);
  return { ...updated!, lastEventSeq: updated!.lastEventSeq + 1 };
}

/** Frees the worker that held a run (its currentRun becomes null). */
export async function releaseWorker(tx: Tx, workerId: string | null, runId: string) {
  if (!workerId) return;
  await tx
    .update(workers)
    .set({ currentRunId: null })
    .where(sql`${workers.id} = ${workerId} AND ${workers.currentRunId} = ${runId}`);
}
