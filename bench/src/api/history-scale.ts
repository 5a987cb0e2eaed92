/* eslint-disable @typescript-eslint/no-explicit-any -- untyped GraphQL response bodies in benchmark scripts */
/**
 * history-scale: the run history at scale, on Postgres and on the embedded default (PGlite), through the API over HTTP.
 *  - 100,000 runs with metric summaries (4 keys each): first page (50) of `runs` filtered and ordered by a metric.
 *  - 100 of those runs with 100,000 points each (4 keys x 25,000 steps): the dashboard's CompareRuns query with
 *    metrics(maxPoints: 1000) for 2, 10 and 50 runs (compareRuns takes at most 50 ids), its series as columns (what
 *    the dashboard asks), then as an object per point (the contract's `points`).
 * Setup is bulk SQL (generate_series); the database `tunelab_bench_history` (PGlite: the data directory
 * <tmp>/tunelab-bench-history-pglite) is kept and reused by later runs unless --fresh (setup takes a minute or two on
 * Postgres, longer on PGlite; --drop removes it afterwards).
 *
 *   pnpm --filter @tunelab/bench history-scale [--reps 15] [--fresh] [--drop] [--explain] [--drivers postgres,pglite]
 *
 * Targets (p50): runs first page < 50 ms; compareRuns + metrics(maxPoints: 1000) < 300 ms.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadMetricSeries } from "@tunelab/api/metrics-reader";
import { createDb, type DbHandle, openPostgres, rebuildMetricRollups } from "@tunelab/db";
import {
  ADMIN_URL,
  arg,
  databaseExists,
  databaseUrl,
  flag,
  Gql,
  type MachineInfo,
  nowMs,
  postJson,
  publish,
  round,
  startApiProcess,
  stats,
  table,
  driversArg,
  type Driver,
  forEachDriver,
} from "./common";

const DB_NAME = arg("db", "tunelab_bench_history");
const RUNS = 100_000;
const LONG_RUNS = 100;
const STEPS = 25_000; // x 4 keys = 100,000 points per long run
const REPS = Number(arg("reps", "15"));
const DRIVERS = driversArg();
/** The embedded variant's data directory (the API keeps PGlite's files in <dir>/pglite), kept between runs. */
const PGLITE_DIR = path.join(os.tmpdir(), "tunelab-bench-history-pglite");
// v3: rollups rebuilt in series order (rebuildMetricRollups sorts its inserts).
const SETUP_VERSION = `v3 runs=${RUNS} long=${LONG_RUNS} steps=${STEPS}`;

/** 4 summaries per run with values spread per run (random() in the select list is evaluated per row). */
const SUMMARIES_SQL = `
  INSERT INTO metric_summaries (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
  SELECT id, key, val, ${STEPS}, val * 0.9, val * 1.1, CASE WHEN lower THEN val * 0.9 ELSE least(val * 1.1, 1) END,
         ${STEPS / 2}, CASE WHEN long THEN ${STEPS} ELSE 20 END, lower
  FROM (SELECT r.id, k.key, k.lower, r.tags @> ARRAY['long'] AS long,
               CASE WHEN k.lower THEN 0.05 + random() * 1.5 ELSE 0.4 + random() * 0.55 END AS val
        FROM runs r CROSS JOIN (VALUES ('loss', true), ('acc', false), ('val_loss', true), ('val_acc', false)) AS k(key, lower)
        WHERE r.tags @> ARRAY['history-bench']) s`;

/** Where the setup runs its SQL: a Postgres connection, or the embedded database opened in this process. */
interface SetupTarget {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** A handle for rebuildMetricRollups, opened and closed around the call. */
  withHandle(fn: (handle: DbHandle) => Promise<void>): Promise<void>;
}

async function setup(db: SetupTarget) {
  const t0 = nowMs();
  const step = async (label: string, sql: string) => {
    const t = nowMs();
    await db.exec(sql);
    console.log(`  setup: ${label} (${round((nowMs() - t) / 1000, 1)} s)`);
  };
  await step(
    "100,000 runs",
    `INSERT INTO runs (project_id, name, status, dataset_id, learning_rate, epochs, batch_size, optimizer, validation_split, seed,
                       tags, created_at, started_at, finished_at, trainable_params, frozen_params)
     SELECT (SELECT id FROM projects ORDER BY created_at LIMIT 1),
            'hist-' || g,
            (CASE WHEN g % 20 = 0 THEN 'FAILED' WHEN g % 50 = 1 THEN 'CANCELLED' ELSE 'SUCCEEDED' END)::run_status,
            (SELECT id FROM datasets WHERE name = 'iris' ORDER BY version DESC LIMIT 1),
            power(10, -1 - 4 * ((g * 7919) % 1000) / 1000.0), 20, 32, 'ADAM', 0.2, g,
            CASE WHEN g <= ${LONG_RUNS} THEN ARRAY['history-bench', 'long', 'group-' || (g % 10)]
                 ELSE ARRAY['history-bench', 'group-' || (g % 10)] END,
            now() - (${RUNS} - g) * interval '1 minute',
            now() - (${RUNS} - g) * interval '1 minute' + interval '5 seconds',
            now() - (${RUNS} - g) * interval '1 minute' + interval '50 seconds',
            1000, 5000
     FROM generate_series(1, ${RUNS}) g`,
  );
  await step("400,000 metric summaries", SUMMARIES_SQL);
  // Bulk load without per-row FK checks and index maintenance, then rebuild the primary key once.
  await step("drop metric_points primary key for the bulk load", `ALTER TABLE metric_points DROP CONSTRAINT metric_points_pkey`);
  await step(
    "10,000,000 metric points (100 runs x 4 keys x 25,000 steps)",
    `SET session_replication_role = replica;
     INSERT INTO metric_points (run_id, key, step, value, recorded_at)
     SELECT r.id, k.key, s, CASE WHEN k.key LIKE '%loss' THEN 2.0 / (1 + s / 500.0) ELSE 1 - 1.0 / (2 + s / 500.0) END
                            + ((s * 2654435761::bigint) % 1000) / 50000.0,
            r.created_at + s * interval '1 second'
     FROM runs r
     CROSS JOIN (VALUES ('loss'), ('acc'), ('val_loss'), ('val_acc')) AS k(key)
     CROSS JOIN generate_series(1, ${STEPS}) s
     WHERE r.tags @> ARRAY['long'];
     SET session_replication_role = origin;`,
  );
  await step("rebuild primary key", `SET maintenance_work_mem = '256MB'; ALTER TABLE metric_points ADD CONSTRAINT metric_points_pkey PRIMARY KEY (run_id, key, step)`);
  // The bulk load bypasses recordMetricPoints, so build the rollups the API reads downsampled series from, as the
  // write path would have kept them.
  const rollupsStarted = nowMs();
  await db.withHandle((handle) => rebuildMetricRollups(handle.db));
  console.log(`  metric rollups rebuilt: ${round((nowMs() - rollupsStarted) / 1000, 1)} s`);
  for (const t of ["runs", "metric_summaries", "metric_points", "metric_rollups"]) await step(`vacuum analyze ${t}`, `VACUUM ANALYZE ${t}`);
  await step("mark done", `CREATE TABLE bench_meta (version text); INSERT INTO bench_meta VALUES ('${SETUP_VERSION}')`);
  return round((nowMs() - t0) / 1000, 1);
}

const RUNS_PAGE = `query($f: RunFilter, $o: RunOrder, $first: Int) {
  runs(filter: $f, orderBy: $o, first: $first) {
    edges { cursor node { id name status createdAt tags config { learningRate optimizer } dataset { id name } summary { key last min max lastStep } } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const RUNS_PAGE_COUNT = RUNS_PAGE.replace("pageInfo { endCursor hasNextPage }", "pageInfo { endCursor hasNextPage } totalCount");

/** The dashboard's CompareRuns document (apps/web/src/lib/documents.ts), verbatim in shape: the series as columns. */
const COMPARE = `query CompareRuns($ids: [ID!]!, $maxPoints: Int) {
  compareRuns(ids: $ids) {
    differences { key values }
    runs {
      id name status
      dataset { id name version classNames }
      baseModel { id name version }
      config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
      frozenLayers
      metrics(maxPoints: $maxPoints) { key columns { steps values mins maxs } }
      summary { key last min max lastStep }
      evaluation { split numExamples loss accuracy macroF1 perClass { className precision recall f1 support } confusionMatrix }
    }
  }
}`;

/** The same with the contract's shape of a series, an object per point (what the dashboard asked before MetricColumns). */
const COMPARE_POINTS = COMPARE.replace("columns { steps values mins maxs }", "points { step value min max }");

async function measure(gql: Gql, query: string, variables: Record<string, unknown>, check: (d: any) => string) {
  let detail = "";
  let bytes = 0;
  const times: number[] = [];
  const budgetEnd = nowMs() + 60_000; // slow rows stop early (after at least 3 timed requests) to bound the run
  const warmups = 1;
  for (let i = 0; i < REPS + warmups; i++) {
    if (i >= warmups + 3 && nowMs() > budgetEnd) break;
    const t = nowMs();
    const { text } = await postJson(`${gql.url}/graphql`, JSON.stringify({ query, variables }));
    const ms = nowMs() - t;
    const body = JSON.parse(text) as { data?: unknown; errors?: unknown };
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 1000)}`);
    if (i >= warmups) times.push(ms);
    detail = check(body.data);
    bytes = text.length;
  }
  return { ms: stats(times), detail, bytes };
}

async function explain(db: pg.Client, longIds: string[]) {
  const plan = async (label: string, sql: string, params: unknown[]) => {
    const rows = (await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows.map((r) => r["QUERY PLAN"] as string);
    console.log(`\nEXPLAIN ANALYZE ${label}:\n${rows.join("\n")}`);
  };
  // A copy of the SQL that apps/api/src/domain/find-runs.ts generates.
  await plan(
    "runs page: metric filter val_acc >= 0.9, ORDER BY val_acc best DESC",
    `SELECT runs.id, (COALESCE(ms.best, '-Infinity'::float8))::text AS sort FROM runs
     LEFT JOIN metric_summaries ms ON ms.run_id = runs.id AND ms.key = $1
     WHERE EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = runs.id AND s.key = $1 AND s.best >= $2)
     ORDER BY COALESCE(ms.best, '-Infinity'::float8) DESC, runs.id DESC LIMIT 51`,
    ["val_acc", 0.9],
  );
  // The metrics read: the API's own reader (get-run-metrics.ts) on a handle whose execute() explains each statement
  // before running it, so the plan printed is the one the API runs (series sizes, then the rollup or point read).
  const handle = await openPostgres({ url: databaseUrl(DB_NAME), migrate: false, maxConnections: 1 });
  try {
    const dialect = (handle.db as unknown as { dialect: { sqlToQuery(q: unknown): { sql: string; params: unknown[] } } }).dialect;
    let n = 0;
    const explaining = new Proxy(handle.db, {
      get(target, prop, receiver) {
        if (prop !== "execute") return Reflect.get(target, prop, receiver);
        return async (query: unknown) => {
          const q = dialect.sqlToQuery(query);
          await plan(`metrics(maxPoints: 1000) for 10 runs, statement ${++n}`, q.sql, q.params);
          return target.execute(query as never);
        };
      },
    });
    await loadMetricSeries(explaining, longIds.slice(0, 10), null, 1000);
  } finally {
    await handle.close();
  }
}

async function main() {
  await forEachDriver(DRIVERS, runDriver);
}

/** What the measurement needs from the prepared history: its size, the long runs' ids, the setup's time if it ran now. */
interface Prepared {
  counts: Record<string, unknown>;
  longIds: string[];
  setupSeconds: number | null;
}

/** A SetupTarget's queries with rows, for the checks around the setup. */
type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Sets the history up unless the kept copy holds this setup's version; then reads its size and the long runs. */
async function prepare(target: SetupTarget, query: Query, where: string): Promise<Prepared> {
  let setupSeconds: number | null = null;
  const done = await query("SELECT version FROM bench_meta").catch(() => [] as Record<string, unknown>[]);
  const version = done[0]?.version as string | undefined;
  if (version?.startsWith("v1 ")) {
    console.log("upgrading the v1 setup: rebuilding metric summaries with per-run values");
    await target.exec("DELETE FROM metric_summaries");
    await target.exec(SUMMARIES_SQL);
    await target.exec("VACUUM ANALYZE metric_summaries");
    await target.exec(`UPDATE bench_meta SET version = '${SETUP_VERSION}'`);
  } else if (version !== SETUP_VERSION) {
    if (version) throw new Error(`${where} holds another setup (${version}); rerun with --fresh`);
    console.log(`setting up ${where} (bulk SQL)...`);
    setupSeconds = await setup(target);
    console.log(`setup took ${setupSeconds} s`);
  } else console.log(`reusing ${where} (${SETUP_VERSION}); --fresh rebuilds it`);
  const counts = (await query(`SELECT (SELECT count(*) FROM runs)::int AS runs, (SELECT count(*) FROM metric_summaries)::int AS summaries, (SELECT reltuples::bigint FROM pg_class WHERE relname = 'metric_points') AS points`))[0]!;
  console.log(`database: ${JSON.stringify(counts)}`);
  const longIds = (await query(`SELECT id FROM runs WHERE tags @> ARRAY['long'] ORDER BY name`)).map((r) => String(r.id));
  return { counts, longIds, setupSeconds };
}

async function dropPostgres() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Postgres: the kept database, set up over a connection of this process while the API serves. PGlite: the kept data
 * directory, which only one process can open at a time, so the API first creates the schema and seeds it and stops,
 * this process sets the history up, and then the API opens it again to be measured.
 */
async function runDriver(driver: Driver, machine: MachineInfo) {
  const url = databaseUrl(DB_NAME);
  const apiEnv = { MAX_PAGE_SIZE: "200" };
  const scratch = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  let pgClient: pg.Client | undefined;
  let prepared: Prepared;
  let api: Awaited<ReturnType<typeof startApiProcess>> | undefined;
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    if (driver === "postgres") {
      if (flag("fresh")) await dropPostgres();
      if (!(await databaseExists(DB_NAME))) {
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        await admin.query(`CREATE DATABASE "${DB_NAME}"`);
        await admin.end();
      }
      // The API applies migrations and seeds the default project and datasets on start.
      api = await startApiProcess({ databaseUrl: url, dataDir: scratch, name: "api-history-scale", env: apiEnv });
      const client = new pg.Client({ connectionString: url });
      pgClient = client;
      await client.connect();
      const target: SetupTarget = {
        exec: async (sql) => void (await client.query(sql)),
        withHandle: async (fn) => {
          const handle = await openPostgres({ url, migrate: false, maxConnections: 1 });
          try {
            await fn(handle);
          } finally {
            await handle.close();
          }
        },
      };
      prepared = await prepare(target, async (sql, params) => (await client.query(sql, params)).rows, DB_NAME);
    } else {
      if (flag("fresh")) await rm(PGLITE_DIR, { recursive: true, force: true });
      if (!existsSync(path.join(PGLITE_DIR, "pglite", "PG_VERSION"))) {
        const first = await startApiProcess({ dataDir: PGLITE_DIR, name: "api-history-scale-pglite-init", env: apiEnv });
        await first.stop();
      }
      const handle = await createDb({ dataDir: PGLITE_DIR, migrate: false });
      try {
        const target: SetupTarget = { exec: async (sql) => void (await handle.pglite!.exec(sql)), withHandle: (fn) => fn(handle) };
        prepared = await prepare(target, (sql, params) => handle.query(sql, params), PGLITE_DIR);
      } finally {
        await handle.close();
      }
      api = await startApiProcess({ dataDir: PGLITE_DIR, name: "api-history-scale-pglite", env: apiEnv });
    }
    const { longIds } = prepared;

    const gql = new Gql(api.url, null);
    const pages: [string, string, Record<string, unknown>][] = [
      ["runs: metric filter val_acc >= 0.9, order by val_acc DESC", RUNS_PAGE, { f: { metric: [{ key: "val_acc", gte: 0.9 }] }, o: { field: "METRIC", direction: "DESC", metricKey: "val_acc" }, first: 50 }],
      ["runs: status SUCCEEDED + learningRate <= 1e-3, order by val_loss ASC", RUNS_PAGE, { f: { status: ["SUCCEEDED"], learningRateLte: 1e-3 }, o: { field: "METRIC", direction: "ASC", metricKey: "val_loss" }, first: 50 }],
      ["runs: no filter, order by val_acc DESC", RUNS_PAGE, { o: { field: "METRIC", direction: "DESC", metricKey: "val_acc" }, first: 50 }],
      ["runs: metric filter + order (as row 1) with totalCount", RUNS_PAGE_COUNT, { f: { metric: [{ key: "val_acc", gte: 0.9 }] }, o: { field: "METRIC", direction: "DESC", metricKey: "val_acc" }, first: 50 }],
    ];
    for (const [label, query, vars] of pages) {
      const r = await measure(gql, query, vars, (d) => `${d.runs.edges.length} runs${d.runs.totalCount != null ? ` of ${d.runs.totalCount}` : ""}`);
      rows.push([label, r.detail, round(r.bytes / 1024, 0), round(r.ms.p50, 1), round(r.ms.p90, 1), "< 50 ms", r.ms.p50 < 50 ? "met" : "MISSED"]);
      results.push({ query: label, variables: vars, ...r });
      console.log(`${label}: p50 ${round(r.ms.p50)} ms`);
    }
    const shapes = [
      { name: "columns", query: COMPARE, size: (s: any) => s.columns.steps.length as number },
      { name: "points", query: COMPARE_POINTS, size: (s: any) => s.points.length as number },
    ];
    for (const shape of shapes)
      for (const n of [2, 10, 50]) {
        const label = `compareRuns ${n} runs x 100k points, metrics(maxPoints: 1000) { ${shape.name} }${shape.name === "columns" ? " (dashboard)" : " (contract's shape)"}`;
        const r = await measure(gql, shape.query, { ids: longIds.slice(0, n), maxPoints: 1000 }, (d) => {
          const pts = d.compareRuns.runs.reduce((a: number, run: any) => a + run.metrics.reduce((b: number, s: any) => b + shape.size(s), 0), 0);
          return `${d.compareRuns.runs.length} runs, ${pts} points`;
        });
        rows.push([label, r.detail, round(r.bytes / 1024, 0), round(r.ms.p50, 1), round(r.ms.p90, 1), "< 300 ms", r.ms.p50 < 300 ? "met" : "MISSED"]);
        results.push({ query: label, runs: n, shape: shape.name, ...r });
        console.log(`${label}: p50 ${round(r.ms.p50)} ms`);
      }
    if (flag("explain") && pgClient) await explain(pgClient, longIds);
    await api.saveProfile(`api-history-scale-${driver}`);
  } finally {
    await pgClient?.end();
    await api?.stop();
    await rm(scratch, { recursive: true, force: true });
    if (flag("drop")) {
      if (driver === "postgres") await dropPostgres();
      else await rm(PGLITE_DIR, { recursive: true, force: true });
    }
  }
  const { setupSeconds } = prepared;
  const md =
    table(["query (over HTTP, one API process)", "result", "response KiB", "p50 ms", "p90 ms", "target (p50)", ""], rows) +
    `\n\n${REPS} timed requests per row after 1 warm-up, one at a time (rows slower than 60 s in total stop after 3). Data: ${RUNS.toLocaleString("en-US")} runs with 4 metric summaries each; ${LONG_RUNS} of them with 4 keys x ${STEPS.toLocaleString("en-US")} steps = 100,000 points each (10M rows), bulk-loaded with generate_series${setupSeconds != null ? ` in ${setupSeconds} s` : " (database reused from an earlier run)"}. compareRuns accepts at most 50 ids, so 50 is the largest comparison.` +
    (driver === "pglite" ? ` Embedded: the API process runs PGlite (Postgres compiled to WebAssembly, one connection) on the data directory ${PGLITE_DIR}, as \`pnpm start\` does on .tunelab/.` : "");
  console.log("\n" + md);
  await publish(
    "history-scale",
    `History at scale: runs page and compareRuns + downsampled metrics (${driver === "postgres" ? "Postgres" : "embedded PGlite"})`,
    machine,
    { driver, setupSeconds, reps: REPS, results },
    md,
    driver === "postgres" ? "history-scale" : "history-scale-pglite",
  );
}

await main();
