import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { METRIC_ROLLUP_WIDTHS } from "../schema/metrics";
import { rowsOf, toPgArray, toPgNumberArray } from "../sql-values";
import { sqlErrorOf } from "../errors";
import { lowerIsBetterKeys } from "./metrics";

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
 * A worker's epoch report in ONE statement and one round trip (database function tunelab_report_epochs, migrations
 * 0002 and 0005): run lock and lease extension, points written with existing ones kept (a retried report is a no-op),
 * summaries and rollups, one EPOCH event per fresh epoch with dense seqs, and the NOTIFY queued for commit. Runs as its
 * own transaction: call it on the database, not inside one. Returns the run's last event seq, or null when the run is
 * not active and held by this worker under this token (then nothing was written). Throws EpochOutOfRangeError for an
 * epoch above the run's configured count. Sent once more when its plain INSERT of new points met a point another
 * transaction wrote meanwhile (unique violation, nothing written).
 */
export async function reportEpochsAtomically(db: Db, input: ReportEpochsInput): Promise<number | null> {
  // One pass over the epochs builds every column (a worker's batch holds up to hundreds of points).
  const keys: string[] = [];
  const steps: number[] = [];
  const values: number[] = [];
  const sizes: number[] = [];
  const metrics: string[] = [];
  for (const e of input.epochs) {
    let size = 0;
    for (const key in e.metrics) {
      keys.push(key);
      steps.push(e.epoch);
      values.push(e.metrics[key]!);
      size++;
    }
    sizes.push(size);
    metrics.push(JSON.stringify(e.metrics));
  }
  const at = input.at ?? new Date();
  const report = () =>
    db.execute(sql`
    SELECT tunelab_report_epochs(
      ${input.runId}::uuid, ${input.workerId}::uuid, ${input.tokenId}::uuid, ${input.leaseUntil?.toISOString() ?? null}::timestamptz,
      ${toPgArray(keys)}::text[], ${toPgNumberArray(steps)}::int[], ${toPgNumberArray(values)}::float8[],
      ${toPgArray(lowerIsBetterKeys(keys))}::text[], ${toPgNumberArray([...METRIC_ROLLUP_WIDTHS])}::int[],
      ${toPgNumberArray(input.epochs.map((e) => e.epoch))}::int[], ${toPgNumberArray(sizes)}::int[], ${toPgArray(metrics)}::jsonb[],
      ${at.toISOString()}::timestamptz, ${at.toISOString()}::text, ${input.channel}::text, ${input.maxPayloadBytes}::int
    ) AS last_seq`);
  const res = await report()
    .catch((error: unknown) => {
      // The function's plain INSERT met a point written since its check (a concurrent writer of this run's metrics):
      // nothing was written, and sent again the check finds the point and keeps it.
      if (sqlErrorOf(error)?.code === "23505") return report();
      throw error;
    })
    .catch((error: unknown) => {
      const pgError = sqlErrorOf(error);
      if (pgError?.code === "22023") throw new EpochOutOfRangeError(pgError.message);
      throw error;
    });
  const [row] = rowsOf(res);
  return row?.last_seq == null ? null : Number(row.last_seq);
}
