import type { RunRow } from "@tunelab/db";
import { runs } from "@tunelab/db";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { conflict } from "../errors";
import { notifyRun } from "../pubsub";
import { lockRun, setRunStatus } from "./lock-run";

/**
 * QUEUED -> CANCELLED at once. PREPARING/RUNNING: records the request; the worker sees it on its next heartbeat, stops
 * within one batch and calls finishCancelledRun. A finished run is a CONFLICT.
 */
export async function cancelRun(ctx: Context, id: string): Promise<RunRow> {
  return ctx.handle.db.transaction(async (tx) => {
    const run = await lockRun(tx, id);
    switch (run.status) {
      case "QUEUED":
        return setRunStatus(tx, run, "CANCELLED", { finishedAt: new Date(), cancelRequestedAt: new Date() });
      case "PREPARING":
      case "RUNNING": {
        if (run.cancelRequestedAt) return run;
        const [updated] = await tx.update(runs).set({ cancelRequestedAt: new Date() }).where(eq(runs.id, id)).returning();
        await notifyRun(tx, run, [], true);
        return updated!;
      }
      case "SUCCEEDED":
      case "FAILED":
      case "CANCELLED":
        throw conflict(`Run ${id} already finished (${run.status}); only queued or running runs can be cancelled.`, {
          status: run.status,
        });
    }
  });
}
