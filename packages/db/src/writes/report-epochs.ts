import pg from "pg";
import type { Db } from "../client";
import { METRIC_ROLLUP_WIDTHS } from "../schema/metrics";
import { toPgArray, toPgNumberArray } from "../sql-values";
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

const REPORT_SQL = `SELECT tunelab_report_epochs($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::text[], $6::int[], $7::float8[],
  $8::text[], $9::int[], $10::int[], $11::int[], $12::jsonb[], $13::timestamptz, $14::text, $15::text, $16::int) AS last_seq`;
/** Named after the function's signature: a migration that changes it must rename the statement too. */
const REPORT_STATEMENT = "tunelab_report_epochs_16";

/** What both drivers under Drizzle offer: node-postgres's Pool and PGlite run `query(text, values)`. */
interface DriverClient {
  query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * The report statement on the driver itself, past Drizzle's query builder (the hottest statement of the API). On
 * node-postgres it is a named prepared statement: each connection parses and plans it once, not on every report
 * (report-function: 8-10% less time per call).
 */
async function callReportFunction(db: Db, params: unknown[]): Promise<Record<string, unknown>[]> {
  const client = (db as unknown as { $client: DriverClient | pg.Pool }).$client;
  if (client instanceof pg.Pool) return (await client.query({ name: REPORT_STATEMENT, text: REPORT_SQL, values: params })).rows;
  return (await client.query(REPORT_SQL, params)).rows;
}

/**
 * A worker's epoch report in ONE statement and one round trip (database function tunelab_report_epochs, migrations
 * 0002, 0005 and 0008): run lock and lease extension, points written with existing ones kept (a retried report is a
 * no-op), summaries (and rollups for a run of more than REPORT_ROLLUPS_ABOVE_EPOCHS epochs), one EPOCH event per fresh
 * epoch with dense seqs, and the NOTIFY queued for commit. Runs as its
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
  const params = [
    input.runId, input.workerId, input.tokenId, input.leaseUntil?.toISOString() ?? null,
    toPgArray(keys), toPgNumberArray(steps), toPgNumberArray(values), toPgArray(lowerIsBetterKeys(keys)), toPgNumberArray([...METRIC_ROLLUP_WIDTHS]),
    toPgNumberArray(input.epochs.map((e) => e.epoch)), toPgNumberArray(sizes), toPgArray(metrics),
    at.toISOString(), at.toISOString(), input.channel, input.maxPayloadBytes,
  ];
  const report = () => callReportFunction(db, params);
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
  const [row] = res;
  return row?.last_seq == null ? null : Number(row.last_seq);
}
