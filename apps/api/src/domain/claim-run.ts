import { type DatasetRow, type ModelRow, metricPoints, rowsOf, type RunRow, runs, workers } from "@tunelab/db";
import { eq, sql } from "drizzle-orm";
import type { Context } from "../context";
import { requireWorker, setRunStatus } from "./lock-run";

export interface ClaimedRunModel {
  run: RunRow;
  attempt: number;
  leaseExpiresAt: Date;
  dataset: DatasetRow;
  baseModel: ModelRow | null;
  backend: string;
  recordedEpochs: number[];
}

/**
 * Claims the oldest queued run this worker can serve: `FOR UPDATE SKIP LOCKED` inside a transaction, so with any
 * number of workers and API processes each run goes to exactly one worker. The run becomes PREPARING with a lease,
 * attempt + 1, and the backend = first of the run's requested backends the worker serves (its best when any).
 */
export async function claimRun(ctx: Context, workerId: string): Promise<ClaimedRunModel | null> {
  const claimed = await ctx.handle.db.transaction(async (tx) => {
    const worker = await requireWorker(tx, workerId, ctx.workerTokenId);
    await tx.update(workers).set({ lastHeartbeatAt: new Date(), stoppedAt: null }).where(eq(workers.id, workerId));
    const picked = rowsOf(
      await tx.execute(sql`
        SELECT id FROM runs
        WHERE status = 'QUEUED' AND cancel_requested_at IS NULL
          AND (cardinality(requested_backends) = 0 OR requested_backends && ${`{${worker.backends.join(",")}}`}::backend[])
        ORDER BY created_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`),
    );
    if (picked.length === 0) return null;
    const [run] = await tx.select().from(runs).where(eq(runs.id, String(picked[0]!.id)));
    const backend = run!.requestedBackends.length
      ? run!.requestedBackends.find((b) => worker.backends.includes(b))!
      : worker.backends[0]!;
    const leaseExpiresAt = new Date(Date.now() + ctx.env.leaseSeconds * 1000);
    const updated = await setRunStatus(tx, run!, "PREPARING", {
      workerId,
      backend,
      device: worker.device,
      attempt: run!.attempt + 1,
      leaseExpiresAt,
      // The new attempt's worker numbers its log lines from 1.
      reportedLogSeq: 0,
      error: null,
      errorStep: null,
    });
    await tx.update(workers).set({ currentRunId: run!.id }).where(eq(workers.id, workerId));
    const epochs = await tx
      .selectDistinct({ step: metricPoints.step })
      .from(metricPoints)
      .where(eq(metricPoints.runId, run!.id))
      .orderBy(metricPoints.step);
    return { run: updated, leaseExpiresAt, backend, recordedEpochs: epochs.map((e) => e.step) };
  });
  if (!claimed) return null;
  ctx.log.info({ runId: claimed.run.id, workerId, attempt: claimed.run.attempt, backend: claimed.backend }, "run claimed");
  const dataset = (await ctx.loaders.dataset.load(claimed.run.datasetId))!;
  const baseModel = claimed.run.baseModelId ? await ctx.loaders.model.load(claimed.run.baseModelId) : null;
  return { ...claimed, attempt: claimed.run.attempt, dataset, baseModel };
}
