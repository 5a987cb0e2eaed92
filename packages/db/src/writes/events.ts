import { eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../client";
import type { RunEventType } from "../schema/enums";
import { runEvents, type RunEventRow } from "../schema/events";
import { runs } from "../schema/runs";

export interface RunEventInput {
  type: RunEventType;
  payload: Record<string, unknown>;
  at?: Date;
}

/**
 * Appends events to a run's log with dense, gap-free sequence numbers. Taking the numbers from the run row
 * (`UPDATE ... RETURNING`) locks that row until commit, so concurrent writers for one run are serialised and the
 * order readers see is the order of `seq`.
 */
export async function appendRunEvents(tx: Db | Tx, runId: string, events: RunEventInput[]): Promise<RunEventRow[]> {
  if (events.length === 0) return [];
  const [row] = await tx
    .update(runs)
    .set({ lastEventSeq: sql`${runs.lastEventSeq} + ${events.length}` })
    .where(eq(runs.id, runId))
    .returning({ lastEventSeq: runs.lastEventSeq });
  if (!row) throw new Error(`run ${runId} does not exist`);
  const first = row.lastEventSeq - events.length + 1;
  const now = new Date();
  return tx
    .insert(runEvents)
    .values(events.map((e, i) => ({ runId, seq: first + i, type: e.type, payload: e.payload, at: e.at ?? now })))
    .returning();
}
