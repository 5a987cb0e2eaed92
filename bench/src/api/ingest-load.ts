/**
 * The load of the ingestion benchmarks, shared by the benchmark process and the API child process (which runs the raw
 * path itself on an embedded PGlite, the only process that can open it): the simulated epochs, the raw INSERT they are
 * compared with, and the closed loop that drives either path. No dependencies, so the API's bundle stays as it is.
 */

/** The metrics every simulated epoch of the ingestion benchmarks reports (a classifier with a validation split). */
export const EPOCH_METRIC_KEYS = ["loss", "acc", "val_loss", "val_acc"] as const;
export type EpochMetrics = Record<(typeof EPOCH_METRIC_KEYS)[number], number>;
export const epochMetrics = (step: number): EpochMetrics => ({ loss: 1 / (step + 1), acc: 1 - 1 / (step + 2), val_loss: 1.1 / (step + 1), val_acc: 1 - 1.2 / (step + 2) });

/** The raw path a report is compared with: one INSERT of the points as columns (params from rawInsertParams). */
export const RAW_INSERT_POINTS = `INSERT INTO metric_points (run_id, key, step, value)
  SELECT $1::uuid, k, s, v FROM unnest($2::text[], $3::int[], $4::float8[]) AS t(k, s, v)`;

export function rawInsertParams(runId: string, epochs: { step: number; metrics: EpochMetrics }[]): [string, string[], number[], number[]] {
  const keys: string[] = [];
  const steps: number[] = [];
  const values: number[] = [];
  for (const e of epochs)
    for (const k of EPOCH_METRIC_KEYS) {
      keys.push(k);
      steps.push(e.step);
      values.push(e.metrics[k]);
    }
  return [runId, keys, steps, values];
}

/**
 * drive()'s sender for the raw path: client c's next n simulated epochs from firstStep as one RAW_INSERT_POINTS into
 * its run, sent with `query` (the client's pooled connection, or the API process's PGlite client).
 */
export function rawSender(runIds: readonly string[], query: (client: number, text: string, params: unknown[]) => Promise<unknown>) {
  return async (client: number, firstStep: number, n: number): Promise<void> => {
    const epochs = Array.from({ length: n }, (_, i) => ({ step: firstStep + i, metrics: epochMetrics(firstStep + i) }));
    await query(client, RAW_INSERT_POINTS, rawInsertParams(runIds[client]!, epochs));
  };
}

/** Wall-clock milliseconds with sub-ms resolution, comparable across processes on one machine. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** What one slice of a closed loop did. */
export interface DriveResult {
  points: number;
  seconds: number;
  latencies: number[];
}

/**
 * `clients` closed loops for `seconds`: one request in flight each, the next `batch` epochs of its own run (nextStep[c]
 * carries on from the previous slice and is advanced in place). The slice ends when the last request started in it
 * returns.
 */
export async function drive(
  clients: number,
  seconds: number,
  send: (client: number, firstStep: number, batch: number) => Promise<void>,
  batch: number,
  nextStep: number[],
): Promise<DriveResult> {
  const out: DriveResult = { points: 0, seconds: 0, latencies: [] };
  const t0 = nowMs();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (nowMs() < until) {
        const first = nextStep[c]!;
        nextStep[c] = first + batch;
        const s = nowMs();
        await send(c, first, batch);
        out.latencies.push(nowMs() - s);
        out.points += batch * EPOCH_METRIC_KEYS.length;
      }
    }),
  );
  out.seconds = (nowMs() - t0) / 1000;
  return out;
}

/** The raw path on the embedded database, run inside the API child process (bench/src/api/api-process.ts). */
export interface RawDriveRequest {
  type: "raw-drive";
  id: number;
  /** One run per client, the raw INSERTs' run_id. */
  runIds: string[];
  batch: number;
  seconds: number;
  nextStep: number[];
}
export interface RawDriveReply extends DriveResult {
  type: "raw-driven";
  id: number;
  nextStep: number[];
  error?: string;
}
