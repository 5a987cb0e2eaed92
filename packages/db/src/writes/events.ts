import { sql } from "drizzle-orm";
import type { Db, Tx } from "../client";
import type { RunEventType } from "../schema/enums";
import type { RunEventRow } from "../schema/events";
import { rowsOf, toPgArray } from "../sql-values";

export interface RunEventInput {
  type: RunEventType;
  payload: Record<string, unknown>;
  at?: Date;
}

/**
 * Appends events to a run's log with dense, gap-free sequence numbers. Taking the numbers from the run row
 * (`UPDATE ... RETURNING`) locks that row until commit, so concurrent writers for one run are serialised and the
 * order readers see is the order of `seq`. One statement (the UPDATE in a CTE, the rows through `unnest` arrays);
 * the returned rows are built from the input and the seq the database handed out, payloads as JSON round-trips them.
 */
export async function appendRunEvents(tx: Db | Tx, runId: string, events: RunEventInput[]): Promise<RunEventRow[]> {
  if (events.length === 0) return [];
  const now = new Date();
  const rows = events.map((e) => ({
    runId,
    seq: 0,
    type: e.type,
    payloadJson: JSON.stringify(e.payload),
    at: e.at ?? now,
  }));
  const res = await tx.execute(sql`
    WITH s AS (
      UPDATE runs SET last_event_seq = last_event_seq + ${events.length}::int WHERE id = ${runId}::uuid RETURNING last_event_seq
    ), ins AS (
      INSERT INTO run_events (run_id, seq, type, payload, at)
      SELECT ${runId}::uuid, s.last_event_seq - ${events.length}::int + e.ord, e.type, e.payload, e.at
      FROM s, unnest(${toPgArray(rows.map((r) => r.type))}::run_event_type[], ${toPgArray(rows.map((r) => r.payloadJson))}::jsonb[],
                     ${toPgArray(rows.map((r) => r.at.toISOString()))}::timestamptz[]) WITH ORDINALITY AS e(type, payload, at, ord)
      RETURNING 1
    )
    SELECT last_event_seq, (SELECT count(*) FROM ins)::int AS n FROM s`);
  const [row] = rowsOf(res);
  if (!row) throw new Error(`run ${runId} does not exist`);
  const first = Number(row.last_event_seq) - events.length + 1;
  return rows.map((r, i) => ({
    runId: r.runId,
    seq: first + i,
    type: r.type,
    payload: JSON.parse(r.payloadJson) as Record<string, unknown>,
    at: r.at,
  }));
}

