/**
 * worker-reports: what each of a worker's frequent reports costs, one request in flight as a worker sends them. A
 * simulated worker holding a running run sends reportProgress (one progress value: what a training worker sends twice a
 * second), reportLogs (one numbered line) and reportEpochs (one epoch of 4 metrics) to one API process, in interleaved
 * rounds so that the machine's drift touches every kind alike. Prints each kind's latency (p50, p99) and the CPU per
 * call of the API process and of Postgres.
 *
 *   pnpm --filter @tunelab/bench worker-reports [--calls 750] [--rounds 3] [--drivers postgres,pglite]
 *
 * No target in issue 7: it measures the report path of the tracking-overhead runs, whose most frequent request is
 * progress (docs/benchmarks.md, "Sixteenth session").
 */
import pg from "pg";
import {
  ADMIN_URL,
  datasetIdByName,
  type Driver,
  driversArg,
  forEachDriver,
  Gql,
  machineLine,
  nowMs,
  percentile,
  postgresBackendCpu,
  publish,
  REPORT_EPOCHS,
  REPORT_LOGS,
  REPORT_PROGRESS,
  round,
  table,
  wholeArg,
  withApiOnDriver,
  workerWithRunningRun,
} from "./common";
import { epochMetrics } from "./ingest-load";

const CALLS = wholeArg("calls", "750", 1);
const ROUNDS = wholeArg("rounds", "3", 1);
const WARMUP = 150;
// Every epoch report is a new epoch of one run, and a run trains at most 1,000 epochs.
if (WARMUP + CALLS + ROUNDS > 1000) throw new Error(`--calls: at most ${1000 - WARMUP - ROUNDS} (one run of at most 1,000 epochs takes every epoch report)`);
const DRIVERS = driversArg();


type Kind = "progress" | "logs" | "epochs";
const KINDS: Kind[] = ["progress", "logs", "epochs"];

interface KindResult {
  kind: Kind;
  calls: number;
  latencies: number[];
  apiCpuSeconds: number;
  postgresCpuSeconds: number;
}

/** The worker's next report of a kind, numbered on from the last (epochs and log lines must be new to be written). */
function reporter(gql: Gql, workerId: string, runId: string) {
  const next = { progress: 0, logs: 0, epochs: 0 };
  return async (kind: Kind): Promise<void> => {
    const n = ++next[kind];
    if (kind === "progress") await gql.q(REPORT_PROGRESS, { w: workerId, r: runId, i: { phase: "train", done: n, total: 1_000_000 } });
    else if (kind === "logs") await gql.q(REPORT_LOGS, { w: workerId, r: runId, l: [{ level: "info", message: `epoch ${n}: loss 0.1234`, seq: n }] });
    else await gql.q(REPORT_EPOCHS, { w: workerId, r: runId, e: [{ epoch: n, metrics: epochMetrics(n) }] });
  };
}

function runDriver(driver: Driver): Promise<KindResult[]> {
  return withApiOnDriver(driver, "worker-reports", async (api, db) => {
    const admin = db ? new pg.Client({ connectionString: ADMIN_URL }) : null;
    try {
      await admin?.connect();
      const gql = new Gql(api.url);
      // A run of many epochs, so that the epochs sent over every round stay within its configured count.
      const epochs = WARMUP + CALLS + ROUNDS;
      const { workerId, runId } = await workerWithRunningRun(gql, await datasetIdByName(gql, "iris"), `worker-reports-${driver}`, { learningRate: 0.01, epochs, batchSize: 8 });
      const send = reporter(gql, workerId, runId);
      for (let i = 0; i < WARMUP; i++) for (const kind of KINDS) await send(kind);
      const results = new Map<Kind, KindResult>(KINDS.map((kind) => [kind, { kind, calls: 0, latencies: [], apiCpuSeconds: 0, postgresCpuSeconds: 0 }]));
      const pgCpu = async () => (admin && db ? postgresBackendCpu(admin, db.name) : new Map<number, number>());
      for (let round_ = 0; round_ < ROUNDS; round_++) {
        const calls = Math.ceil(CALLS / ROUNDS);
        for (const kind of round_ % 2 === 0 ? KINDS : [...KINDS].reverse()) {
          const r = results.get(kind)!;
          const pg0 = await pgCpu();
          const api0 = api.cpuSeconds();
          for (let i = 0; i < calls; i++) {
            const t0 = nowMs();
            await send(kind);
            r.latencies.push(nowMs() - t0);
          }
          r.apiCpuSeconds += api.cpuSeconds() - api0;
          const pg1 = await pgCpu();
          for (const [pid, v] of pg1) r.postgresCpuSeconds += v - (pg0.get(pid) ?? 0);
          r.calls += calls;
        }
      }
      await api.saveProfile(`api-worker-reports-${driver}`);
      return KINDS.map((k) => results.get(k)!);
    } finally {
      await admin?.end().catch(() => undefined);
    }
  });
}

const LABEL: Record<Kind, string> = {
  progress: "reportProgress (one value)",
  logs: "reportLogs (one numbered line)",
  epochs: "reportEpochs (one epoch, 4 metrics)",
};

await forEachDriver(DRIVERS, async (driver, machine) => {
  const results = await runDriver(driver);
  const rows = results.map((r) => {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    return {
      kind: r.kind,
      calls: r.calls,
      p50Ms: round(percentile(sorted, 50), 2),
      p99Ms: round(percentile(sorted, 99), 2),
      apiCpuMsPerCall: round((r.apiCpuSeconds * 1000) / r.calls, 3),
      postgresCpuMsPerCall: driver === "postgres" ? round((r.postgresCpuSeconds * 1000) / r.calls, 3) : null,
    };
  });
  for (const r of rows) console.log(JSON.stringify({ driver, ...r }));
  const md =
    table(
      ["report", "calls", "latency p50 ms", "p99 ms", "API CPU ms / call", driver === "postgres" ? "Postgres CPU ms / call" : "Postgres CPU"],
      rows.map((r) => [LABEL[r.kind], r.calls, r.p50Ms, r.p99Ms, r.apiCpuMsPerCall, r.postgresCpuMsPerCall ?? "in the API process (PGlite)"]),
    ) +
    `\n\nOne simulated worker holding a running run sends each report one at a time (one request in flight, as the worker's reporter does) over HTTP to one API process on ${driver === "postgres" ? "a fresh Postgres database" : "its embedded PGlite"}, after ${WARMUP} of each to warm up; ${ROUNDS} interleaved rounds (the order reversed every other round). CPU from /proc over each kind's calls${driver === "postgres" ? " (the API process; every Postgres backend of the database)" : ""}. No live subscribers.`;
  await publish("worker-reports", `Worker reports: latency and CPU per call (${driver === "postgres" ? "Postgres" : "embedded PGlite"})`, machine, { driver, calls: CALLS, rounds: ROUNDS, rows }, md, `worker-reports-${driver}`);
  console.log(machineLine(machine));
});
