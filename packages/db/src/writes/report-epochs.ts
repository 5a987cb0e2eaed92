import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { METRIC_ROLLUP_WIDTHS } from "../schema/metrics";
import { lowerIsBetterKeys, numArray, pgArray } from "./metrics";

/** An epoch number above the run's configured epochs (nothing was written). */
export class EpochOutOfRangeError extends RangeError {
  override readonly name = "EpochOutOfRangeError";
}

export interface EpochReport {
  epoch: number;
  /** Metric name -> finite number (checked by the caller). */
  metrics: Record<string, number>;
}

export interface ReportEpochsInput {
  runId: string;
  workerId: string;
  /** The worker token the request authenticated with. */
  tokenId: string;
  /** New lease expiry, or null to keep the current one. */
  leaseUntil: Date | null;
  /** Distinct epochs, in the order their events should get. */
  epochs: EpochReport[];
  /** NOTIFY channel and the largest payload to send with the events in it (else only the run and its last seq). */
  channel: string;
  maxPayloadBytes: number;
  at?: Date;
}

/**
 * A worker's epoch report in ONE statement and one round trip (database function tunelab_report_epochs, migration
 * 0002): run lock and lease extension, points written with existing ones kept (a retried report is a no-op),
 * summaries and rollups, one EPOCH event per fresh epoch with dense seqs, and the NOTIFY queued for commit. Runs as its
 * own transaction: call it on the database, not inside one. Returns the run's last event seq, or null when the run is
 * not active and held by this worker under this token (then nothing was written). Throws EpochOutOfRangeError for an
 * epoch above the run's configured count.
 */
export async function reportEpochsAtomically(db: Db, input: ReportEpochsInput): Promise<number | null> {
  const points = input.epochs.flatMap((e) => Object.entries(e.metrics).map(([key, value]) => ({ key, step: e.epoch, value })));
  const at = input.at ?? new Date();
  const res = (await db.execute(sql`
    SELECT tunelab_report_epochs(
      ${input.runId}::uuid, ${input.workerId}::uuid, ${input.tokenId}::uuid, ${input.leaseUntil?.toISOString() ?? null}::timestamptz,
      ${pgArray(points.map((p) => p.key))}::text[], ${numArray(points.map((p) => p.step))}::int[],
      ${numArray(points.map((p) => p.value))}::float8[], ${pgArray(lowerIsBetterKeys(points.map((p) => p.key)))}::text[],
      ${numArray([...METRIC_ROLLUP_WIDTHS])}::int[],
      ${numArray(input.epochs.map((e) => e.epoch))}::int[], ${numArray(input.epochs.map((e) => Object.keys(e.metrics).length))}::int[],
      ${pgArray(input.epochs.map((e) => JSON.stringify(e.metrics)))}::jsonb[],
      ${at.toISOString()}::timestamptz, ${at.toISOString()}::text, ${input.channel}::text, ${input.maxPayloadBytes}::int
    ) AS last_seq`).catch((error: unknown) => {
    const pgError = databaseError(error);
    if (pgError?.code === "22023") throw new EpochOutOfRangeError(pgError.message);
    throw error;
  })) as unknown as { rows?: Record<string, unknown>[] } | Record<string, unknown>[];
  const [row] = Array.isArray(res) ? res : (res.rows ?? []);
  return row?.last_seq == null ? null : Number(row.last_seq);
}

/** The driver's error (with a SQLSTATE code) inside drizzle's wrapper, if any. */
function databaseError(error: unknown): { code: string; message: string } | undefined {
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++, e = e.cause as typeof e) if (typeof e.code === "string") return { code: e.code, message: String(e.message) };
  return undefined;
}
