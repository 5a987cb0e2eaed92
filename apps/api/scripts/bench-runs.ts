/**
 * Prints how long the dashboard's run-table queries take over N runs (default 10,000) on Postgres
 * (TEST_DATABASE_URL) or PGlite: a fresh test database, bulk-inserted runs with summaries, the real server, real HTTP.
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm --filter @tunelab/api exec tsx scripts/bench-runs.ts 10000
 */
import { createTestDb } from "@tunelab/db/testing";
import { datasetId, startTestApi } from "../test/helpers";

const n = Number(process.argv[2] ?? 10_000);
const db = await createTestDb(process.env.TEST_DATABASE_URL ? "postgres" : "pglite");
const api = await startTestApi({ db, ownsDb: true, env: { LOG_LEVEL: "warn" } });
const iris = await datasetId(api);
const project = (await db.query<{ id: string }>("SELECT id FROM projects LIMIT 1"))[0]!.id;
let t = Date.now();
await db.query(
  `INSERT INTO runs (project_id, name, status, dataset_id, learning_rate, epochs, batch_size, optimizer, validation_split, seed, tags, created_at)
   SELECT $1, 'bench-' || i, (ARRAY['QUEUED','RUNNING','SUCCEEDED','FAILED'])[1 + i % 4]::run_status, $2, 0.001 * (1 + i % 10), 10, 32, 'ADAM', 0.2, i,
          ARRAY['t' || (i % 7)], now() - (i || ' seconds')::interval
   FROM generate_series(1, $3) AS i`,
  [project, iris, n],
);
await db.query(
  `INSERT INTO metric_summaries (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
   SELECT id, k, random(), 10, 0, 1, random(), 5, 10, k LIKE '%loss' FROM runs, unnest(ARRAY['val_acc','val_loss']) AS k`,
);
await db.query("ANALYZE");
console.log(`inserted ${n} runs in ${Date.now() - t} ms (${db.driver})`);

const q = `query($f: RunFilter, $o: RunOrder, $a: String) { runs(filter: $f, orderBy: $o, first: 50, after: $a) { totalCount pageInfo { endCursor hasNextPage }
  edges { node { id name status createdAt backend tags frozenLayers config { learningRate epochs } dataset { name } baseModel { name } summary { key last } } } } }`;
const cases: [string, Record<string, unknown>][] = [
  ["newest first", {}],
  ["by name", { o: { field: "NAME", direction: "ASC" } }],
  ["by best val_acc", { o: { field: "METRIC", direction: "DESC", metricKey: "val_acc" } }],
  ["status + tag + lr filter", { f: { status: ["SUCCEEDED"], tagsAny: ["t3"], learningRateGte: 0.003 } }],
  ["metric threshold", { f: { metric: [{ key: "val_acc", gte: 0.9 }] }, o: { field: "METRIC", direction: "DESC", metricKey: "val_acc" } }],
  ["name search", { f: { nameContains: "bench-99" } }],
];
for (const [label, vars] of cases) {
  await api.q(q, vars); // warm
  const times: number[] = [];
  let after: string | null = null;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    const d: { runs: { pageInfo: { endCursor: string | null } } } = await api.q(q, { ...vars, a: after });
    times.push(performance.now() - t);
    after = d.runs.pageInfo.endCursor;
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(28)} median ${times[2]!.toFixed(1)} ms  (5 consecutive pages of 50)`);
}
await api.close();
