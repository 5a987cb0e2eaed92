import pg from "pg";
import type { Db } from "../client";
import { isLowerBetter, METRIC_ROLLUP_WIDTHS } from "../schema/metrics";
import { toPgArray, toPgFloat8ArrayBinary, toPgNumberArray } from "../sql-values";
import { sqlErrorOf } from "../errors";
import { driverClient, type DriverStatement, runDriverStatement } from "./driver-statement";

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

const REPORT_SQL = `SELECT tunelab_report_epochs($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::text[], $6::boolean[], $7::int[],
  $8::float8[], $9::float8[], $10::jsonb, $11::int[], $12::timestamptz, $13::text, $14::text, $15::int) AS last_seq`;
/** Named after the function's signature: a migration that changes it must rename the statement too. */
const REPORT_STATEMENT = "tunelab_report_epochs_15";
/** Cells per key in the function's p_summaries: last, last_step, min, max, best, best_step, count (migration 0010). */
const SUMMARY_CELLS = 7;

/** Where the report's values go among the statement's parameters ($8), and the batch's ($10). */
const VALUES_PARAM = 7;
const BATCH_VALUES_PARAM = 9;

const BATCH_SQL = `SELECT tunelab_report_epochs_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::int[], $6::text[],
  $7::boolean[], $8::int[], $9::int[], $10::float8[], $11::float8[], $12::jsonb, $13::int[], $14::timestamptz, $15::text, $16::text,
  $17::int) AS last_seqs`;
/** Named after the function's signature, as REPORT_STATEMENT (migration 0011). */
const BATCH_STATEMENT = "tunelab_report_epochs_batch_17";

/**
 * A report statement (runDriverStatement) with its values filled in at `valuesParam` in the driver's format: a binary
 * float8[] for node-postgres, a text literal for PGlite.
 */
async function callReportStatement(
  db: Db,
  statement: DriverStatement & { valuesParam: number },
  params: unknown[],
  values: readonly (number | null)[],
): Promise<Record<string, unknown>[]> {
  params[statement.valuesParam] = driverClient(db) instanceof pg.Pool ? toPgFloat8ArrayBinary(values) : toPgNumberArray(values);
  return runDriverStatement(db, statement, params);
}

const SINGLE = { name: REPORT_STATEMENT, text: REPORT_SQL, valuesParam: VALUES_PARAM };
const BATCH = { name: BATCH_STATEMENT, text: BATCH_SQL, valuesParam: BATCH_VALUES_PARAM };

/**
 * A worker's epoch report in ONE statement and one round trip (database function tunelab_report_epochs, migrations
 * 0002, 0005, 0008 and 0010): run lock and lease extension, points written with existing ones kept (a retried report
 * is a no-op), summaries (and rollups for a run of more than REPORT_ROLLUPS_ABOVE_EPOCHS epochs), one EPOCH event per
 * fresh epoch with dense seqs, and the NOTIFY queued for commit. Runs as its own transaction: call it on the database,
 * not inside one. Returns the run's last event seq, or null when the run is not active and held by this worker under
 * this token (then nothing was written). Throws EpochOutOfRangeError for an epoch above the run's configured count.
 * Sent once more when its plain INSERT of new points met a point another transaction wrote meanwhile (unique
 * violation, nothing written).
 */
export async function reportEpochsAtomically(db: Db, input: ReportEpochsInput): Promise<number | null> {
  const { keys, lower, values, summaries } = reportColumns(input.epochs);
  const at = (input.at ?? new Date()).toISOString();
  const params = [
    input.runId, input.workerId, input.tokenId, input.leaseUntil?.toISOString() ?? null,
    toPgArray(keys), `{${lower.join(",")}}`, toPgNumberArray(input.epochs.map((e) => e.epoch)),
    null /* the values, in the driver's format (callReportStatement) */, toPgNumberArray(summaries),
    eventPayloads(input.epochs),
    toPgNumberArray([...METRIC_ROLLUP_WIDTHS]), at, at, input.channel, input.maxPayloadBytes,
  ];
  const report = () => callReportStatement(db, SINGLE, params, values);
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

/**
 * Several reports (of different runs, or a run's report and its retry) in ONE statement and one transaction (database
 * function tunelab_report_epochs_batch, migration 0011): each is applied as reportEpochsAtomically applies it, in the
 * order given. Returns each report's result as reportEpochsAtomically does. Any error (an epoch above a run's configured
 * count, a point another transaction wrote meanwhile) aborts the whole statement, so nothing is written: the caller then
 * sends each report on its own (ReportQueue does), for its own answer. Order the reports by run id so that two batches
 * lock their runs in the same order. All reports must share `channel`, `maxPayloadBytes` and `at`.
 */
export async function reportEpochsBatch(db: Db, inputs: readonly ReportEpochsInput[]): Promise<(number | null)[]> {
  if (inputs.length === 0) return [];
  const first = inputs[0]!;
  const keyCounts: number[] = [];
  const epochCounts: number[] = [];
  const keys: string[] = [];
  const lower: boolean[] = [];
  const epochs: number[] = [];
  const values: (number | null)[] = [];
  const summaries: number[] = [];
  const payloads: string[] = [];
  for (const input of inputs) {
    if (input.channel !== first.channel || input.maxPayloadBytes !== first.maxPayloadBytes || input.at !== first.at)
      throw new Error("reportEpochsBatch: every report of a batch must share channel, maxPayloadBytes and at");
    const columns = reportColumns(input.epochs);
    keyCounts.push(columns.keys.length);
    epochCounts.push(input.epochs.length);
    for (const k of columns.keys) keys.push(k);
    for (const l of columns.lower) lower.push(l);
    for (const e of input.epochs) epochs.push(e.epoch);
    for (const v of columns.values) values.push(v);
    for (const c of columns.summaries) summaries.push(c);
    payloads.push(eventPayloads(input.epochs));
  }
  const at = (first.at ?? new Date()).toISOString();
  const params = [
    toPgArray(inputs.map((i) => i.runId)), toPgArray(inputs.map((i) => i.workerId)), toPgArray(inputs.map((i) => i.tokenId)),
    `{${inputs.map((i) => (i.leaseUntil ? `"${i.leaseUntil.toISOString()}"` : "NULL")).join(",")}}`,
    toPgNumberArray(keyCounts), toPgArray(keys), `{${lower.join(",")}}`, toPgNumberArray(epochCounts), toPgNumberArray(epochs),
    null /* the values, in the driver's format (callReportStatement) */, toPgNumberArray(summaries), `[${payloads.join(",")}]`,
    toPgNumberArray([...METRIC_ROLLUP_WIDTHS]), at, at, first.channel, first.maxPayloadBytes,
  ];
  const [row] = await callReportStatement(db, BATCH, params, values);
  const seqs = parseIntArray(row?.last_seqs);
  if (seqs.length !== inputs.length) throw new Error(`reportEpochsBatch: ${inputs.length} reports sent, ${seqs.length} results returned`);
  return seqs;
}

/** The EPOCH events' payloads of a report as one JSON array, in its epochs' order (the functions' p_payloads). */
function eventPayloads(epochs: readonly EpochReport[]): string {
  return JSON.stringify(epochs.map((e) => ({ epoch: e.epoch, metrics: e.metrics })));
}

/** An int[] result: node-postgres and PGlite parse it into an array; a text literal is parsed here all the same. */
function parseIntArray(value: unknown): (number | null)[] {
  if (Array.isArray(value)) return value.map((v) => (v == null ? null : Number(v)));
  if (typeof value === "string")
    return value === "{}" ? [] : value.slice(1, -1).split(",").map((v) => (v === "NULL" ? null : Number(v)));
  throw new Error(`reportEpochsBatch: unexpected result ${JSON.stringify(value)}`);
}

/**
 * A report in the shape tunelab_report_epochs takes (migration 0010), in one pass over its points: the distinct keys,
 * whether each is lower-is-better, the values as an epochs x keys matrix (null where an epoch lacks a key), and each
 * key's summary of this report.
 */
export function reportColumns(epochs: readonly EpochReport[]): {
  keys: string[];
  lower: boolean[];
  values: (number | null)[];
  summaries: number[];
} {
  const column = new Map<string, number>();
  const keys: string[] = [];
  for (const e of epochs) for (const key in e.metrics) if (!column.has(key)) column.set(key, keys.push(key) - 1);
  const k = keys.length;
  const lower = keys.map(isLowerBetter);
  const values: (number | null)[] = new Array<number | null>(epochs.length * k).fill(null);
  // Per key: last, last_step, min, max, best, best_step, count (count 0: no point yet).
  const summaries: number[] = new Array<number>(k * SUMMARY_CELLS).fill(0);
  epochs.forEach((e, row) => {
    const step = e.epoch;
    for (const key in e.metrics) {
      const j = column.get(key)!;
      const value = e.metrics[key]!;
      values[row * k + j] = value;
      const o = j * SUMMARY_CELLS;
      if (summaries[o + 6] === 0) {
        summaries[o] = summaries[o + 2] = summaries[o + 3] = summaries[o + 4] = value;
        summaries[o + 1] = summaries[o + 5] = step;
        summaries[o + 6] = 1;
        continue;
      }
      if (step > summaries[o + 1]!) {
        summaries[o] = value;
        summaries[o + 1] = step;
      }
      if (value < summaries[o + 2]!) summaries[o + 2] = value;
      if (value > summaries[o + 3]!) summaries[o + 3] = value;
      const best = summaries[o + 4]!;
      // Ties go to the lowest step, as in tunelab_fold_metric_points.
      if ((lower[j] ? value < best : value > best) || (value === best && step < summaries[o + 5]!)) {
        summaries[o + 4] = value;
        summaries[o + 5] = step;
      }
      summaries[o + 6] = summaries[o + 6]! + 1;
    }
  });
  return { keys, lower, values, summaries };
}
