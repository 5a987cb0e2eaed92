/* eslint-disable @typescript-eslint/no-explicit-any -- untyped GraphQL response bodies in benchmark scripts */
/**
 * report-function: where a worker's epoch report spends its time inside Postgres. One connection, one call at a time
 * (no contention): the report (reportEpochsAtomically, what the API's reportEpochs runs) against the raw INSERT of the
 * same points, per call, and Postgres's own per-function timings (track_functions = 'pl') of the report function and
 * the functions it calls. metric-ingestion measures throughput under load; this says which part of the report to cut.
 *
 * With --group G (default 4), the same reports are also sent G at a time, G runs per statement, as the API's
 * ReportQueue sends the reports that waited while another statement was in flight (reportEpochsBatch).
 *
 * With --drivers postgres,pglite (the default) the same calls also run on the embedded default, PGlite in this process
 * (wall times only: PGlite has no WAL position to read between calls and no function statistics).
 *
 *   pnpm --filter @tunelab/bench report-function [--batches 1,10,100] [--calls 300] [--group 4] [--drivers postgres,pglite]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDb, type DbHandle, openPostgres, reportEpochsAtomically, reportEpochsBatch } from "@tunelab/db";
import pg from "pg";
import {
  arg,
  datasetIdByName,
  freshDatabase,
  Gql,
  LAUNCH,
  type MachineInfo,
  nowMs,
  publish,
  round,
  startApiProcess,
  table,
  workerWithRunningRun,
  driversArg,
  type Driver,
  forEachDriver,
} from "./common";
import { EPOCH_METRIC_KEYS, epochMetrics, RAW_INSERT_POINTS, rawInsertParams } from "./ingest-load";

const BATCHES = arg("batches", "1,10,100").split(",").map(Number);
const CALLS = Number(arg("calls", "300"));
/** Unrecorded 1-epoch reports and raw INSERTs before the timed ones. */
const WARMUP_CALLS = 50;
const MAX_EPOCHS = 1000;
for (const b of BATCHES) if (!(b >= 1 && MAX_EPOCHS % b === 0)) throw new Error(`--batches: each must divide ${MAX_EPOCHS} (got ${b})`);
if (!(CALLS >= 10)) throw new Error(`--calls must be at least 10 (got ${CALLS})`);
const GROUP = Number(arg("group", "4"));
if (!(Number.isInteger(GROUP) && GROUP >= 1 && CALLS % GROUP === 0)) throw new Error(`--group must be an integer >= 1 dividing --calls (got ${GROUP})`);
const KEYS = EPOCH_METRIC_KEYS;
const DRIVERS = driversArg();

interface FunctionTime {
  calls: number;
  totalMs: number;
  selfMs: number;
}

async function functionTimes(c: pg.Client): Promise<Map<string, FunctionTime>> {
  const { rows } = await c.query<{ funcname: string; calls: string; total_time: number; self_time: number }>(
    "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions",
  );
  return new Map(rows.map((r) => [r.funcname, { calls: Number(r.calls), totalMs: r.total_time, selfMs: r.self_time }]));
}

async function main() {
  await forEachDriver(DRIVERS, runDriver);
}

async function runDriver(driver: Driver, machine: MachineInfo) {
  const db = driver === "postgres" ? await freshDatabase("tunelab_bench_reportfn") : null;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    // The API creates the schema, the worker token and runs held by workers, then steps aside.
    const api = await startApiProcess({ databaseUrl: db?.url, dataDir, name: "api-report-function" });
    const held: Record<number, { workerId: string; runId: string }[]> = {};
    // For the grouped statements: GROUP runs per statement, each taking CALLS / GROUP reports.
    const heldGrouped: Record<number, { workerId: string; runId: string }[][]> = {};
    let rawRun: string;
    let warmRun: { workerId: string; runId: string };
    try {
      const gql = new Gql(api.url);
      const datasetId = await datasetIdByName(gql, "iris");
      for (const batch of BATCHES) {
        held[batch] = [];
        for (let k = 0; k < Math.ceil((CALLS * batch) / MAX_EPOCHS); k++)
          held[batch].push(await workerWithRunningRun(gql, datasetId, `reportfn-b${batch}-${k}`, { learningRate: 0.01, epochs: MAX_EPOCHS, batchSize: 8 }));
        heldGrouped[batch] = [];
        if (GROUP > 1)
          for (let g = 0; g < GROUP; g++) {
            heldGrouped[batch].push([]);
            for (let k = 0; k < Math.ceil(((CALLS / GROUP) * batch) / MAX_EPOCHS); k++)
              heldGrouped[batch][g]!.push(await workerWithRunningRun(gql, datasetId, `reportfn-g${batch}-${g}-${k}`, { learningRate: 0.01, epochs: MAX_EPOCHS, batchSize: 8 }));
          }
      }
      warmRun = await workerWithRunningRun(gql, datasetId, "reportfn-warmup", { learningRate: 0.01, epochs: MAX_EPOCHS, batchSize: 8 });
      rawRun = (await gql.q<any>(LAUNCH, { i: { datasetId, name: "raw", config: { learningRate: 0.01, epochs: 10, batchSize: 8 }, backends: ["CPU"] } })).launchRun.id;
    } finally {
      await api.stop();
    }

    // Postgres: the admin connection reads WAL positions and function times between calls; PGlite (the API's data
    // directory, opened here now that the API is gone) has one client, and none of either.
    const admin = db ? new pg.Client({ connectionString: db.url }) : null;
    await admin?.connect();
    if (db) await admin!.query(`ALTER DATABASE "${db.name}" SET track_functions = 'pl'`);
    // One connection (pool of one), opened after the ALTER so its session tracks function times.
    const handle: DbHandle = db ? await openPostgres({ url: db.url, migrate: false, maxConnections: 1 }) : await createDb({ dataDir, migrate: false });
    const tokenId = String((await handle.query<{ id: string }>("SELECT id FROM worker_tokens LIMIT 1"))[0]!.id);
    const raw = db ? new pg.Client({ connectionString: db.url }) : null;
    await raw?.connect();
    const rawInsert = async (params: unknown[]) => {
      if (raw) await raw.query(RAW_INSERT_POINTS, params);
      else await handle.query(RAW_INSERT_POINTS, params);
    };
    let rawStep = 0;
    try {
      // A session sends its function statistics at most once a second (and after 10 s idle): flush them on demand.
      const flushStats = async () => void (admin && (await handle.query("SELECT pg_stat_force_next_flush()")));
      for (let i = 1; i <= WARMUP_CALLS; i++) {
        const epochs = [{ epoch: i, metrics: epochMetrics(i) }];
        const { runId, workerId } = warmRun!;
        await reportEpochsAtomically(handle.db, { runId, workerId, tokenId, leaseUntil: new Date(Date.now() + 60_000), epochs, channel: "tunelab_bench_reportfn", maxPayloadBytes: 7000 });
        await rawInsert(rawInsertParams(rawRun!, [{ step: ++rawStep, metrics: epochs[0]!.metrics }]));
      }
      for (const batch of BATCHES) {
        await flushStats();
        const before = admin ? await functionTimes(admin) : new Map<string, FunctionTime>();
        let reportMs = 0;
        let rawMs = 0;
        // WAL bytes each path writes (points, summaries, rollups, events, the run row, index entries): unlike the times,
        // the same on any machine. Read on the admin connection between calls, outside the timed spans.
        let reportWal = 0;
        let rawWal = 0;
        const walLsn = async () => (admin ? String((await admin.query("SELECT pg_current_wal_insert_lsn() AS l")).rows[0].l) : "");
        const walSince = async (lsn: string) =>
          admin ? Number((await admin.query("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::float8 AS d", [lsn])).rows[0].d) : NaN;
        for (let i = 0; i < CALLS; i++) {
          const run = held[batch]![Math.floor((i * batch) / MAX_EPOCHS)]!;
          const first = ((i * batch) % MAX_EPOCHS) + 1;
          const epochs = Array.from({ length: batch }, (_, j) => ({ epoch: first + j, metrics: epochMetrics(first + j) }));
          let lsn = await walLsn();
          let t = nowMs();
          await reportEpochsAtomically(handle.db, {
            runId: run.runId,
            workerId: run.workerId,
            tokenId,
            leaseUntil: new Date(Date.now() + 60_000),
            epochs,
            channel: "tunelab_bench_reportfn",
            maxPayloadBytes: 7000,
          });
          reportMs += nowMs() - t;
          reportWal += await walSince(lsn);
          const params = rawInsertParams(rawRun!, epochs.map((e) => ({ step: ++rawStep, metrics: e.metrics })));
          lsn = await walLsn();
          t = nowMs();
          await rawInsert(params);
          rawMs += nowMs() - t;
          rawWal += await walSince(lsn);
        }
        // The same number of reports, GROUP per statement (one report per run in each), in CALLS / GROUP statements.
        let groupedMs = 0;
        for (let i = 0; GROUP > 1 && i < CALLS / GROUP; i++) {
          const first = ((i * batch) % MAX_EPOCHS) + 1;
          const epochs = Array.from({ length: batch }, (_, j) => ({ epoch: first + j, metrics: epochMetrics(first + j) }));
          const leaseUntil = new Date(Date.now() + 60_000);
          const reports = heldGrouped[batch]!.map((runs) => {
            const run = runs[Math.floor((i * batch) / MAX_EPOCHS)]!;
            return { runId: run.runId, workerId: run.workerId, tokenId, leaseUntil, epochs, channel: "tunelab_bench_reportfn", maxPayloadBytes: 7000 };
          });
          reports.sort((a, b) => (a.runId < b.runId ? -1 : 1));
          const t = nowMs();
          await reportEpochsBatch(handle.db, reports);
          groupedMs += nowMs() - t;
        }
        await flushStats();
        const after = admin ? await functionTimes(admin) : new Map<string, FunctionTime>();
        const perCall: Record<string, { totalMs: number; selfMs: number; calls: number }> = {};
        for (const [name, a] of after) {
          const b = before.get(name) ?? { calls: 0, totalMs: 0, selfMs: 0 };
          if (a.calls > b.calls) perCall[name] = { calls: a.calls - b.calls, totalMs: round((a.totalMs - b.totalMs) / CALLS, 3), selfMs: round((a.selfMs - b.selfMs) / CALLS, 3) };
        }
        // tunelab_report_epochs ran CALLS times alone and CALLS times inside the grouped statements: its totals per call
        // are the average of both; the grouped statements' function is reported on its own.
        const { tunelab_report_epochs: top, tunelab_report_epochs_batch: _grouped, ...called } = perCall;
        rows.push([
          `${batch} x ${KEYS.length} = ${batch * KEYS.length}`,
          round(reportMs / CALLS, 3),
          round(rawMs / CALLS, 3),
          `${round((rawMs / reportMs) * 100, 0)}%`,
          GROUP > 1 ? round(groupedMs / CALLS, 3) : "-",
          admin ? Math.round(reportWal / CALLS) : "-",
          admin ? Math.round(rawWal / CALLS) : "-",
          top?.totalMs ?? "-",
          top?.selfMs ?? "-",
          Object.entries(called).map(([name, t]) => `${name} ${t.totalMs}`).join(", ") || "-",
        ]);
        results.push({ driver, epochsPerCall: batch, pointsPerCall: batch * KEYS.length, calls: CALLS, reportMsPerCall: reportMs / CALLS, rawMsPerCall: rawMs / CALLS, group: GROUP, groupedMsPerReport: GROUP > 1 ? groupedMs / CALLS : null, reportWalBytesPerCall: reportWal / CALLS, rawWalBytesPerCall: rawWal / CALLS, functionsPerCall: perCall });
        console.log(`batch ${batch}: report ${round(reportMs / CALLS, 3)} ms, raw ${round(rawMs / CALLS, 3)} ms per call${GROUP > 1 ? `, ${round(groupedMs / CALLS, 3)} ms per report ${GROUP} per statement` : ""}`);
      }
    } finally {
      await raw?.end();
      await handle.close();
      await admin?.end();
    }
  } finally {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const md = table(
    ["epochs x metrics per call (points)", "report ms / call", "raw INSERT ms / call", "raw / report", `report ms / report, ${GROUP} runs per statement`, "report WAL bytes / call", "raw WAL bytes / call", "tunelab_report_epochs ms (total)", "its own ms (self)", "functions it called, ms per report"],
    rows,
  );
  console.log("\n" + md);
  const notes = [
    "",
    driver === "postgres"
      ? `${CALLS} calls per batch size, one at a time on one connection each (report: reportEpochsAtomically on a run held by a worker; raw: the INSERT ... unnest of metric-ingestion), alternating, each in its own transaction (commit and WAL flush included in the wall times).`
      : `Embedded PGlite, opened in this process on the data directory the API set up: ${CALLS} calls per batch size, one at a time on its one client (report: reportEpochsAtomically on a run held by a worker; raw: the INSERT ... unnest of metric-ingestion), alternating, each in its own transaction. No WAL or function columns: PGlite offers neither between calls.`,
    `Grouped: the same number of reports as one call each, ${GROUP} runs per statement (reportEpochsBatch, migration 0011, as the API's ReportQueue sends the reports that waited), wall time per report.`,
    `Before the timed calls, ${WARMUP_CALLS} reports and raw INSERTs of 1 epoch on runs of their own, not recorded (the first calls of a fresh process ran 2-3 times slower: compilation, PGlite's WebAssembly, cold caches).`,
    ...(driver === "postgres"
      ? [
          "WAL bytes: pg_current_wal_insert_lsn() before and after each call (nothing else writes to the server meanwhile).",
          "Function columns: Postgres's track_functions = 'pl' timings per report call (pg_stat_user_functions): the report function in all (total) and outside the functions it calls (self). Wall times include what the function columns do not: the round trip, parsing the call's 15 parameters, the commit and its WAL flush.",
        ]
      : []),
  ].join("\n");
  await publish(
    "report-function",
    driver === "postgres" ? "Report function: time per call inside Postgres (one connection)" : "Report function: time per call inside embedded PGlite",
    machine,
    { driver, calls: CALLS, keys: KEYS, results },
    md + "\n" + notes,
    driver === "postgres" ? "report-function" : "report-function-pglite",
  );
}

await main();
