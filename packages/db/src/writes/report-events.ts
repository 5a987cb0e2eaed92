import type { Db } from "../client";
import { toPgArray, toPgNumberArray } from "../sql-values";
import { runDriverStatement } from "./driver-statement";

/** A progress value or a log line a worker reports for the run it holds. */
export interface ReportedEvent {
  type: "PROGRESS" | "LOG";
  payload: Record<string, unknown>;
  at: Date;
  /** The worker's number of a log line: a line at or below the run's highest stored number is skipped as a retry. */
  logSeq?: number | null;
}

export interface ReportEventsInput {
  runId: string;
  workerId: string;
  /** The worker token the request authenticated with. */
  tokenId: string;
  /** New lease expiry, or null to keep the current one. */
  leaseUntil: Date | null;
  events: readonly ReportedEvent[];
  /** NOTIFY channel and the largest payload to send with the events in it (else only the run and its last seq). */
  channel: string;
  maxPayloadBytes: number;
}

const REPORT_EVENTS = {
  // Named after the function's signature (migration 0013): a migration that changes it must rename the statement too.
  name: "tunelab_report_events_10",
  text: `SELECT tunelab_report_events($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::run_event_type[], $6::jsonb, $7::text[],
  $8::int[], $9::text, $10::int) AS last_seq`,
};

/**
 * A worker's progress or log report in ONE statement and one round trip (database function tunelab_report_events,
 * migration 0013): run lock and lease extension, the events with dense seqs (numbered log lines already stored skipped),
 * the run's highest log line number, and the NOTIFY queued for commit. Runs as its own transaction: call it on the
 * database, not inside one. Returns the run's last event seq, or null when the run is not active and held by this
 * worker under this token (then nothing was written).
 */
export async function reportEventsAtomically(db: Db, input: ReportEventsInput): Promise<number | null> {
  const { events } = input;
  const params = [
    input.runId, input.workerId, input.tokenId, input.leaseUntil?.toISOString() ?? null,
    `{${events.map((e) => e.type).join(",")}}`, JSON.stringify(events.map((e) => e.payload)), toPgArray(events.map((e) => e.at.toISOString())),
    toPgNumberArray(events.map((e) => e.logSeq ?? null)), input.channel, input.maxPayloadBytes,
  ];
  const [row] = await runDriverStatement(db, REPORT_EVENTS, params);
  return row?.last_seq == null ? null : Number(row.last_seq);
}
