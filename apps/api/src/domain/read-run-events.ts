import { type Db, runEvents } from "@tunelab/db";
import { and, asc, eq, gt, lte } from "drizzle-orm";
import { type RunEventModel, toEventModel } from "./run-event-types";

/** A run's events after seq `afterSeq`, in seq order: at most `limit` of them, and none past `upTo` when given. */
export async function readRunEvents(db: Db, runId: string, afterSeq: number, { limit, upTo }: { limit?: number; upTo?: number } = {}): Promise<RunEventModel[]> {
  const query = db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq), upTo === undefined ? undefined : lte(runEvents.seq, upTo)))
    .orderBy(asc(runEvents.seq));
  const rows = limit === undefined ? await query : await query.limit(limit);
  return rows.map(toEventModel);
}
