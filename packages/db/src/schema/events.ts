import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, primaryKey, uuid } from "drizzle-orm/pg-core";
import { tstz } from "./columns";
import { runEventType } from "./enums";

/**
 * Everything that happened to a run, in order: status changes, epochs, progress and log lines. `seq` is taken from
 * runs.last_event_seq (each event one above the last), so a late subscriber replays up to a seq and then streams from
 * seq + 1 with no gap and no duplicate at the seam. Progress is a value, not a history: a run keeps only its latest
 * PROGRESS event per phase (the report that writes a newer one deletes the older, migration 0014), so the seqs of the
 * stored events have holes where superseded progress was.
 */
export const runEvents = pgTable(
  "run_events",
  {
    // No foreign key: its per-row check was a tenth of an epoch report's database time, and every writer holds the
    // run's row lock (reports, status changes, launch). A statement trigger on runs deletes a deleted run's events
    // (migration 0005).
    runId: uuid("run_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: runEventType("type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    at: tstz("at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "run_events_pkey", columns: [t.runId, t.seq] }),
    // A run's status changes (its final status for late subscribers). Partial: epochs, progress and log lines, nearly
    // every row, pay no second index entry.
    index("run_events_status_idx").on(t.runId, t.seq).where(sql`${t.type} = 'STATUS'`),
    // A run's progress events, at most one per phase: what a progress report replaces.
    index("run_events_progress_idx").on(t.runId, t.seq).where(sql`${t.type} = 'PROGRESS'`),
  ],
);

export type RunEventRow = InferSelectModel<typeof runEvents>;
export type NewRunEventRow = InferInsertModel<typeof runEvents>;
