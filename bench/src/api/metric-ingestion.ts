/* eslint-disable @typescript-eslint/no-explicit-any -- untyped GraphQL response bodies in benchmark scripts */
/**
 * metric-ingestion: metric points per second written through the API's worker operation `reportEpochs` (batched as
 * the worker's RunReporter sends them: one request in flight per run, up to 100 epochs per request) into Postgres,
 * side by side in one run with a raw batched INSERT (unnest arrays) of the same points into the same database; then
 * the same on the embedded default (PGlite in the API process), where the raw INSERTs run inside the API process on its
 * own client, since no other process can open that database.
 *
 *   pnpm --filter @tunelab/bench metric-ingestion [--seconds 6] [--slice 2] [--workers 4] [--batches 1,10,100] [--rounds 1]
 *     [--warmup 2] [--transport http|ws] [--http-client light|node] [--drivers postgres,pglite]
 *
 * Target: the API path reaches >= 50% of raw. BENCH_CPU_PROF=1 writes a CPU profile of the API process.
 *
 * The two paths take turns in slices of --slice seconds (ABBA) until each has had --seconds: on the shared machines
 * this runs on, the CPU's speed drifts by 10-20% within minutes, and one 6-second phase per path put that drift straight
 * into the ratio. With --rounds >= 2 the summary gives the median ratio per batch size and its bootstrap interval.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  arg,
  datasetIdByName,
  freshDatabase,
  Gql,
  GqlSocket,
  type MachineInfo,
  postgresBackendCpu,
  cpuSince,
  publish,
  REPORT_EPOCHS,
  round,
  startApiProcess,
  stats,
  table,
  workerWithRunningRun,
  LAUNCH,
  driversArg,
  type Driver,
  forEachDriver,
  WORKER_TOKEN,
} from "./common";
import { drive, EPOCH_METRIC_KEYS, epochMetrics, rawSender, type DriveResult } from "./ingest-load";
import { LightHttpConnection } from "./light-http";
import { bootstrapMedian, verdict } from "./paired-overhead";

const SECONDS = Number(arg("seconds", "6"));
const SLICE = Number(arg("slice", "2"));
if (!(SLICE > 0 && SLICE <= SECONDS)) throw new Error(`--slice must be > 0 and at most --seconds (got ${SLICE})`);
/** Slices per path per round, each SECONDS / SLICES long. */
const SLICES = Math.max(1, Math.round(SECONDS / SLICE));
const WORKERS = Number(arg("workers", "4"));
const BATCHES = arg("batches", "1,10,100").split(",").map(Number);
const ROUNDS = Number(arg("rounds", "1"));
const TRANSPORT = arg("transport", "http");
/** Seconds per path and batch size of unrecorded warm-up before the timed rounds. */
const WARMUP = Number(arg("warmup", "2"));
if (!(WARMUP >= 0)) throw new Error(`--warmup must be a number of seconds >= 0 (got ${WARMUP})`);
if (TRANSPORT !== "http" && TRANSPORT !== "ws") throw new Error(`--transport must be http or ws (got ${TRANSPORT})`);
/** The simulated workers' HTTP client: `light` (one raw keep-alive socket each, light-http.ts) or Node's `node:http`. */
const HTTP_CLIENT = arg("http-client", "light");
if (HTTP_CLIENT !== "light" && HTTP_CLIENT !== "node") throw new Error(`--http-client must be light or node (got ${HTTP_CLIENT})`);
const DRIVERS = driversArg();
/** The most epochs a run may have (the API's limit); a run's epochs are reported up to it. */
const MAX_EPOCHS = 1000;
for (const b of BATCHES) if (!(b >= 1 && MAX_EPOCHS % b === 0)) throw new Error(`--batches: each must divide ${MAX_EPOCHS} (got ${b})`);
const KEYS = EPOCH_METRIC_KEYS;

interface PhaseResult {
  points: number;
  seconds: number;
  pointsPerSec: number;
  requests: number;
  latencyMs: ReturnType<typeof stats>;
  apiCpuSeconds?: number;
  postgresCpuSeconds?: number;
  clientCpuSeconds?: number;
}

/** What one path did over its slices. */
interface Tally {
  points: number;
  seconds: number;
  latencies: number[];
  apiCpuSeconds: number;
  postgresCpuSeconds: number;
  clientCpuSeconds: number;
}
const emptyTally = (): Tally => ({ points: 0, seconds: 0, latencies: [], apiCpuSeconds: 0, postgresCpuSeconds: 0, clientCpuSeconds: 0 });

function phaseResult(t: Tally): PhaseResult {
  return {
    points: t.points,
    seconds: round(t.seconds, 2),
    pointsPerSec: Math.round(t.points / t.seconds),
    requests: t.latencies.length,
    latencyMs: stats(t.latencies),
    apiCpuSeconds: round(t.apiCpuSeconds, 2),
    postgresCpuSeconds: round(t.postgresCpuSeconds, 2),
    clientCpuSeconds: round(t.clientCpuSeconds, 2),
  };
}

function addTo(t: Tally, r: DriveResult): void {
  t.points += r.points;
  t.seconds += r.seconds;
  for (const l of r.latencies) t.latencies.push(l);
}

async function main() {
  await forEachDriver(DRIVERS, runDriver);
}

/** Both paths on one database: a fresh Postgres database, or (pglite) the embedded default in a fresh data directory. */
async function runDriver(driver: Driver, machine: MachineInfo) {
  const db = driver === "postgres" ? await freshDatabase("tunelab_bench_ingest") : null;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  const api = await startApiProcess({ databaseUrl: db?.url, dataDir, name: `api-metric-ingestion-${driver}` });
  const conns = TRANSPORT === "http" && HTTP_CLIENT === "light" ? Array.from({ length: WORKERS }, () => new LightHttpConnection(api.url)) : [];
  const pool = db ? new pg.Pool({ connectionString: db.url, max: WORKERS }) : null;
  // Its own connection for the CPU accounting, so it never waits behind the raw clients holding the pool.
  const stats_ = db ? new pg.Pool({ connectionString: db.url, max: 1 }) : null;
  const backendCpu = async () => (db && stats_ ? postgresBackendCpu(stats_, db.name) : new Map<number, number>());
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    const gql = new Gql(api.url);
    const datasetId = await datasetIdByName(gql, "iris");
    const sockets = TRANSPORT === "ws" ? await Promise.all(Array.from({ length: WORKERS }, () => GqlSocket.open(api.url))) : [];
    // One client per simulated worker: its graphql-ws socket, its light-http connection, or the shared node:http agent.
    const clients = Array.from({ length: WORKERS }, (_, c) => sockets[c] ?? (conns[c] ? new Gql(api.url, WORKER_TOKEN, conns[c].post.bind(conns[c])) : gql));
    console.log(`API ${api.url} (pid ${api.pid}) on ${db ? db.name : `PGlite in ${dataDir}`}; ${WORKERS} concurrent workers, ${SECONDS} s per phase`);

    /**
     * One round at one batch size: fresh runs, then the two paths taking turns for `seconds` each in `slices` slices.
     * `label` names the runs (warm-up rounds have their own).
     */
    const measure = async (batch: number, round_: number, label: string, seconds: number, slices: number) => {
      // Fresh runs per phase so both paths insert into an equally filled table and never conflict. A run takes at most
      // its configured epochs (1,000, the API's limit), so each API client moves on to its next run when one is full:
      // enough held runs per client for an upper bound of its rate (measured: 186 / 1,640 / 4,475 epochs/s per client
      // at 1 / 10 / 100 epochs per request on a slower machine; up to ~11,000 at 100 and ~4,700 at 10 on a faster one).
      // Beyond a dozen clients they share the API's throughput, so each one's bound shrinks with their number (64
      // clients: 53 / 325 epochs/s each at 1 / 10 epochs per request; the 4-client bound would create 9,280 runs per
      // round at 100).
      const perClientBound = Math.min(batch * 600, 24000) * Math.min(1, 12 / WORKERS);
      const runsPerClient = Math.ceil((seconds * perClientBound) / MAX_EPOCHS) + 1;
      const held: { workerId: string; runId: string }[][] = [];
      for (let w = 0; w < WORKERS; w++) {
        held.push([]);
        for (let k = 0; k < runsPerClient; k++) held[w]!.push(await workerWithRunningRun(gql, datasetId, `ingest-${label}-b${batch}-r${round_}-w${w}-${k}`, { learningRate: 0.01, epochs: MAX_EPOCHS, batchSize: 8 }));
      }
      const rawRuns: string[] = [];
      for (let w = 0; w < WORKERS; w++)
        rawRuns.push((await gql.q<any>(LAUNCH, { i: { datasetId, name: `raw-${label}-b${batch}-r${round_}-w${w}`, config: { learningRate: 0.01, epochs: 10, batchSize: 8 }, backends: ["TENSORFLOW_GPU"] } })).launchRun.id);

      const rawClients = pool ? await Promise.all(Array.from({ length: WORKERS }, () => pool.connect())) : [];
      const sendRaw = rawSender(rawRuns, (c, text, params) => rawClients[c]!.query(text, params));
      // Postgres: from this process, one pooled connection per client. PGlite: inside the API process, which holds the
      // only client of the embedded database.
      const driveRaw = async (seconds: number, nextStep: number[]): Promise<DriveResult> => {
        if (pool) return drive(WORKERS, seconds, sendRaw, batch, nextStep);
        const r = await api.rawDrive({ runIds: rawRuns, batch, seconds, nextStep });
        nextStep.splice(0, nextStep.length, ...r.nextStep);
        return r;
      };
      const sendApi = async (c: number, first: number, n: number) => {
        // Steps 1..MAX_EPOCHS go to the client's first run, the next MAX_EPOCHS to its second, and so on (batch sizes
        // divide MAX_EPOCHS, so a request never spans two runs).
        const run = held[c]![Math.floor((first - 1) / MAX_EPOCHS)];
        if (!run) throw new Error(`client ${c} used all ${runsPerClient} runs held for this phase; raise the estimate in metric-ingestion.ts`);
        const offset = Math.floor((first - 1) / MAX_EPOCHS) * MAX_EPOCHS;
        const epochs = Array.from({ length: n }, (_, i) => ({ epoch: first - offset + i, metrics: epochMetrics(first + i) }));
        await clients[c]!.q(REPORT_EPOCHS, { w: run.workerId, r: run.runId, e: epochs });
      };

      const tally = { raw: emptyTally(), api: emptyTally() };
      const next = { raw: Array.from({ length: WORKERS }, () => 1), api: Array.from({ length: WORKERS }, () => 1) };
      // Released whatever happens: pool.end() in the finally below waits for every checked-out client.
      try {
        for (let k = 0; k < slices; k++) {
          const order: ("raw" | "api")[] = (k + round_) % 2 === 0 ? ["raw", "api"] : ["api", "raw"];
          for (const which of order) {
            const t = tally[which];
            const cpu0 = api.cpuSeconds();
            const pg0 = await backendCpu();
            const client0 = process.cpuUsage();
            addTo(t, which === "raw" ? await driveRaw(seconds / slices, next.raw) : await drive(WORKERS, seconds / slices, sendApi, batch, next.api));
            const client = process.cpuUsage(client0);
            t.apiCpuSeconds += api.cpuSeconds() - cpu0;
            t.postgresCpuSeconds += cpuSince(pg0, await backendCpu());
            t.clientCpuSeconds += (client.user + client.system) / 1e6;
          }
        }
      } finally {
        for (const c of rawClients) c.release();
      }
      return tally;
    };

    // Warm-up, not recorded: a fresh API process spends its first seconds compiling (measured: 1.07 ms of API CPU per
    // 1-epoch report in the first 6 s against 0.50 and 0.44 ms in the next two phases), which put a cold process's
    // JIT into whichever batch size came first. A deployed API has long been warm.
    if (WARMUP > 0) for (const batch of BATCHES) await measure(batch, 0, "warmup", WARMUP, 1);

    for (const batch of BATCHES) {
      for (let round_ = 0; round_ < ROUNDS; round_++) {
        const tally = await measure(batch, round_, "timed", SECONDS, SLICES);
        const phase = { raw: phaseResult(tally.raw), api: phaseResult(tally.api) };
        const ratio = phase.api!.pointsPerSec / phase.raw!.pointsPerSec;
        const r = phase.api!;
        const w = phase.raw!;
        // CPU per 1,000 points: the API path = API process + Postgres; the raw path = the process that sends it + Postgres
        // (on PGlite the API process, which runs both the raw INSERTs and the database; there is no Postgres).
        const apiCpuPer1k = ((r.apiCpuSeconds! + r.postgresCpuSeconds!) * 1e6) / r.points;
        const rawCpuPer1k = ((w.clientCpuSeconds! + w.postgresCpuSeconds! + (driver === "pglite" ? w.apiCpuSeconds! : 0)) * 1e6) / w.points;
        rows.push([
          `${batch} x ${KEYS.length} = ${batch * KEYS.length}`,
          phase.raw!.pointsPerSec,
          r.pointsPerSec,
          `${round(ratio * 100, 0)}%`,
          ratio >= 0.5 ? "met" : "MISSED",
          r.latencyMs.p50,
          r.latencyMs.p99,
          phase.raw!.latencyMs.p50,
          round((r.apiCpuSeconds! * 1e6) / r.points, 1),
          driver === "pglite" ? "-" : round((r.postgresCpuSeconds! * 1e6) / r.points, 1),
          round(apiCpuPer1k, 1),
          round(rawCpuPer1k, 1),
          `${round((rawCpuPer1k / apiCpuPer1k) * 100, 0)}%`,
        ]);
        results.push({ epochsPerRequest: batch, pointsPerRequest: batch * KEYS.length, round: round_, raw: phase.raw, api: phase.api, ratio: round(ratio, 3), cpuRatio: round(rawCpuPer1k / apiCpuPer1k, 3) });
        console.log(`batch ${batch}: raw ${phase.raw!.pointsPerSec} pts/s, api ${r.pointsPerSec} pts/s (${round(ratio * 100, 0)}%)`);
      }
    }
    await api.saveProfile(`api-metric-ingestion-${driver}`);
  } finally {
    for (const conn of conns) conn.close();
    await pool?.end();
    await stats_?.end();
    await api.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const md = table(
    ["epochs x metrics per request (points)", "raw INSERT points/s", "API points/s", "API / raw", "target >= 50%", "API req p50 ms", "API req p99 ms", "raw stmt p50 ms", "API process CPU ms / 1k pts", "Postgres CPU ms / 1k pts (API path)", "API path CPU ms / 1k pts (API + PG)", "raw path CPU ms / 1k pts (client + PG)", "raw CPU / API CPU"],
    rows,
  );
  // Over rounds: the median ratio per batch size and its bootstrap interval; the verdict needs the interval on one side.
  const summaryRows: (string | number)[][] = [];
  const summary: Record<string, unknown>[] = [];
  if (ROUNDS >= 2) {
    for (const batch of BATCHES) {
      const mine = results.filter((x) => x.epochsPerRequest === batch);
      const pts = bootstrapMedian(mine.map((x) => (x.ratio as number) * 100));
      const cpu = bootstrapMedian(mine.map((x) => (x.cpuRatio as number) * 100));
      const pct = (v: number) => `${round(v, 0)}%`;
      summaryRows.push([batch, mine.length, pct(pts.median), `${pct(pts.ciLow)} to ${pct(pts.ciHigh)}`, pct(cpu.median), `${pct(cpu.ciLow)} to ${pct(cpu.ciHigh)}`, verdict(pts.ciLow, pts.ciHigh, 50, "atLeast")]);
      summary.push({ epochsPerRequest: batch, rounds: mine.length, ratio: pts, cpuRatio: cpu });
    }
  }
  const summaryMd = summaryRows.length
    ? "\n\n" + table(["epochs per request", "rounds", "API / raw points/s: median", "95% interval", "raw CPU / API CPU: median", "95% interval", "target >= 50%"], summaryRows)
    : "";
  console.log("\n" + md + summaryMd);
  const notes = [
    "",
    `${WORKERS} concurrent clients per path (one request or statement in flight each, as the worker's RunReporter sends; API requests ${TRANSPORT === "ws" ? "over one graphql-ws socket per client" : HTTP_CLIENT === "light" ? "over HTTP, one kept-alive socket per client written and read by light-http.ts" : "over HTTP with node:http"}), ${SECONDS} s per path per round in slices of ${round(SECONDS / SLICES, 2)} s taking turns (ABBA), fresh runs per round, one database; first ${WARMUP} s per path and batch size of warm-up, not recorded.`,
    driver === "postgres"
      ? "Raw: `INSERT INTO metric_points ... SELECT FROM unnest($keys, $steps, $values)` on one pooled connection per client."
      : "Raw: the same `INSERT INTO metric_points ... SELECT FROM unnest($keys, $steps, $values)`, sent inside the API process on its PGlite client (the only client an embedded database has), with no transport at all: the cheapest way into that database.",
    `API: \`reportEpochs\` to one API process (child process) on ${driver === "postgres" ? "the same Postgres" : "its embedded PGlite (the default of `pnpm start`)"}: one call of the report function (run lock and lease, points, summaries merged from what the API aggregated, one event per epoch, NOTIFY; no rollups for these 1,000-epoch runs, migrations 0008 and 0010) in one transaction; reports that arrive while other report statements are in flight go together in one statement (ReportQueue, migration 0011${driver === "pglite" ? "; PGlite has one connection, so one statement at a time" : ""}).`,
    "A live worker (RunReporter) sends what its run produced since its last report: one request in flight, at most one per 250 ms, up to 100 epochs. 1 epoch per request is what a run whose epochs take longer than 250 ms sends; 100 what a run of fast epochs sends.",
    `CPU columns come from /proc (API process, this client process for raw, and ${driver === "postgres" ? "every client backend of the database" : "on PGlite the API process for raw too, which runs the database"}): they depend much less on other load than points/s, and on a CPU-bound machine \`raw CPU / API CPU\` is what the throughput ratio tends to.`,
  ].join("\n");
  // The default configuration keeps its block in docs/benchmarks.md; another worker count or transport gets its own.
  const variant = [WORKERS !== 4 ? `${WORKERS} workers` : "", TRANSPORT !== "http" ? `over ${TRANSPORT}` : ""].filter(Boolean).join(", ");
  const key = [driver === "pglite" ? "pglite" : "", variant.replace(/[^a-z0-9]+/gi, "-")].filter(Boolean).join("-");
  await publish(
    "metric-ingestion",
    `Metric ingestion: API reportEpochs vs raw INSERT (${driver === "postgres" ? "Postgres" : "embedded PGlite"})${variant ? `, ${variant}` : ""}`,
    machine,
    { driver, workers: WORKERS, transport: TRANSPORT, seconds: SECONDS, slice: SLICE, warmupSeconds: WARMUP, keys: KEYS, results, summary },
    md + summaryMd + "\n" + notes,
    key ? `metric-ingestion-${key}` : "metric-ingestion",
  );
}

await main();
