import { COARSEST_ROLLUP_WIDTH, type Db, METRIC_ROLLUP_WIDTHS, rowsOf, toPgArray, toPgNumberArray } from "@tunelab/db";
import { sql } from "drizzle-orm";
import { JsonText } from "../json-text";

export interface MetricPointModel {
  step: number;
  value: number;
  min: number;
  max: number;
}

/**
 * A series' points as parallel columns (the MetricColumns type), index i = point i, in step order: each column the JSON
 * text of a number array as Postgres wrote it. The dashboard's `columns` pass them through to the response untouched;
 * `points` parses them (metricPoints).
 */
export interface MetricColumnsModel {
  steps: JsonText;
  values: JsonText;
  mins: JsonText;
  maxs: JsonText;
}

export interface MetricSeriesModel {
  key: string;
  columns: MetricColumnsModel;
}

/** A series as the contract's object per point. */
export function metricPoints(columns: MetricColumnsModel): MetricPointModel[] {
  // Number(): Postgres writes a non-finite float8 as a JSON string ("NaN"); Float then refuses it, as it should.
  const parse = (c: JsonText) => (JSON.parse(c.text) as (number | string)[]).map(Number);
  const steps = parse(columns.steps);
  const values = parse(columns.values);
  const mins = columns.mins === columns.values ? values : parse(columns.mins);
  const maxs = columns.maxs === columns.values ? values : parse(columns.maxs);
  const points = new Array<MetricPointModel>(steps.length);
  for (let i = 0; i < steps.length; i++) points[i] = { step: steps[i]!, value: values[i]!, min: mins[i]!, max: maxs[i]! };
  return points;
}

/** The most points one series returns: also the default when no maxPoints is asked for. */
export const MAX_POINTS_PER_SERIES = 10_000;
/**
 * The most points one call returns over all its series (about 9 MiB of GraphQL JSON): with many runs and keys, each
 * long series gets maxPoints or this budget divided by the number of series, whichever is smaller.
 */
export const MAX_POINTS_PER_CALL = 100_000;

/**
 * Reads the metric series of several runs. A series with at most maxPoints points (default and cap:
 * MAX_POINTS_PER_SERIES, lowered to share MAX_POINTS_PER_CALL between the series of the call) is returned as stored. A longer one is downsampled into at most maxPoints step buckets, each
 * keeping the bucket's last value (highest step) and its min and max, so a spike survives downsampling: read from the
 * write-time rollups (metric_rollups) at the finest width with at most 2 x maxPoints buckets, adjacent buckets merged
 * to fit, so the cost depends on maxPoints and not on the run's length. A series without complete rollups (a run of at
 * most REPORT_ROLLUPS_ABOVE_EPOCHS epochs, or points written around recordMetricPoints) is downsampled from its points.
 * Two queries: the series and their sizes (from metric_summaries and the coarsest rollups), then the points.
 */
export async function loadMetricSeries(
  db: Db,
  runIds: string[],
  keys: string[] | null,
  maxPoints: number | null,
): Promise<Map<string, MetricSeriesModel[]>> {
  const out = new Map<string, MetricSeriesModel[]>();
  if (runIds.length === 0 || keys?.length === 0) return out;
  const requested = Math.min(maxPoints && maxPoints > 0 ? maxPoints : MAX_POINTS_PER_SERIES, MAX_POINTS_PER_SERIES);
  // The coarsest width, written into the SQL (not a parameter) so the partial index on it (migration 0007) applies
  // under any plan.
  const top = COARSEST_ROLLUP_WIDTH;
  const runFilter = (col: string) => sql`${sql.raw(col)}.run_id = ANY(${toPgArray(runIds)}::uuid[])`;
  const keyFilter = (col: string) => (keys ? sql`AND ${sql.raw(col)}.key = ANY(${toPgArray(keys)}::text[])` : sql``);
  const series = rowsOf(
    await db.execute(sql`
      SELECT coalesce(s.run_id, r.run_id) AS run_id, coalesce(s.key, r.key) AS key, s.count AS summary_count,
             r.n, r.mx, r.lo
      FROM (SELECT run_id, key, count FROM metric_summaries s WHERE ${runFilter("s")} ${keyFilter("s")}) s
      FULL JOIN (SELECT run_id, key, sum(count)::int AS n, max(last_step) AS mx, min(bucket) * ${top} AS lo
                 FROM metric_rollups r WHERE ${runFilter("r")} AND width = ${sql.raw(String(top))} ${keyFilter("r")}
                 GROUP BY run_id, key) r
        ON r.run_id = s.run_id AND r.key = s.key`),
  );
  const m = Math.min(requested, Math.max(10, Math.floor(MAX_POINTS_PER_CALL / Math.max(1, series.length))));
  const raw: { runs: string[]; keys: string[] } = { runs: [], keys: [] };
  const scan: { runs: string[]; keys: string[] } = { runs: [], keys: [] };
  const rolled: { runs: string[]; keys: string[]; widths: number[]; los: number[]; ks: number[] } = {
    runs: [], keys: [], widths: [], los: [], ks: [],
  };
  for (const s of series) {
    const runId = String(s.run_id);
    const key = String(s.key);
    // Rollups are trusted only when they hold every point of the series: a run short enough to be read from its points
    // has none (tunelab_report_epochs, migration 0008), and one reported across that migration has some.
    if (s.n != null && (s.summary_count == null || Number(s.summary_count) === Number(s.n))) {
      const n = Number(s.n);
      if (n <= m) {
        raw.runs.push(runId);
        raw.keys.push(key);
        continue;
      }
      const mx = Number(s.mx);
      const lo = Number(s.lo);
      const buckets = (w: number) => Math.floor(mx / w) - Math.floor(lo / w) + 1;
      const width = METRIC_ROLLUP_WIDTHS.find((w) => buckets(w) <= 2 * m) ?? top;
      rolled.runs.push(runId);
      rolled.keys.push(key);
      rolled.widths.push(width);
      rolled.los.push(Math.floor(lo / width));
      rolled.ks.push(Math.max(1, Math.ceil(buckets(width) / m)));
    } else {
      const target = Number(s.summary_count) > m ? scan : raw;
      target.runs.push(runId);
      target.keys.push(key);
    }
  }
  // One row per series with each column as the JSON text of one array, in step order ([step, value] as stored, or
  // [step, last, min, max] per bucket; a stored point's min and max are its value), each series read by its own index
  // range: no sort of every point of the call, and the API never parses the numbers when it only passes them on.
  // array_to_json(array_agg()) writes `[1,2]`, json_agg `[1, 2]`: a byte more per number.
  const column = (expr: string, order: string) => sql.raw(`array_to_json(array_agg(${expr} ORDER BY ${order}))::text`);
  const parts = [];
  if (raw.runs.length)
    parts.push(sql`
      SELECT sel.run_id, sel.key, c.steps, c.vals, NULL::text AS mins, NULL::text AS maxs
      FROM unnest(${toPgArray(raw.runs)}::uuid[], ${toPgArray(raw.keys)}::text[]) AS sel(run_id, key)
      CROSS JOIN LATERAL (SELECT ${column("p.step", "p.step")} AS steps, ${column("p.value", "p.step")} AS vals
                          FROM metric_points p WHERE p.run_id = sel.run_id AND p.key = sel.key) c`);
  if (rolled.runs.length) {
    // Merged buckets take the last value of their latest bucket: max() of [last_step, last] pairs (arrays compare
    // element by element) instead of an ordered aggregate, which would sort every group.
    const merged = rolled.ks.some((k) => k > 1);
    const buckets = merged
      ? sql`SELECT max(r.last_step) AS step, (max(ARRAY[r.last_step::float8, r.last]))[2] AS value, min(r.min) AS min, max(r.max) AS max
            FROM metric_rollups r WHERE r.run_id = sel.run_id AND r.key = sel.key AND r.width = sel.width
            GROUP BY (r.bucket - sel.lo) / sel.k`
      : sql`SELECT r.last_step AS step, r.last AS value, r.min, r.max
            FROM metric_rollups r WHERE r.run_id = sel.run_id AND r.key = sel.key AND r.width = sel.width`;
    parts.push(sql`
      SELECT sel.run_id, sel.key, c.steps, c.vals, c.mins, c.maxs
      FROM unnest(${toPgArray(rolled.runs)}::uuid[], ${toPgArray(rolled.keys)}::text[], ${toPgNumberArray(rolled.widths)}::int[],
                  ${toPgNumberArray(rolled.los)}::int[], ${toPgNumberArray(rolled.ks)}::int[]) AS sel(run_id, key, width, lo, k)
      CROSS JOIN LATERAL (SELECT ${column("b.step", "b.step")} AS steps, ${column("b.value", "b.step")} AS vals,
                                 ${column("b.min", "b.step")} AS mins, ${column("b.max", "b.step")} AS maxs
                          FROM (${buckets}) b) c`);
  }
  if (scan.runs.length)
    parts.push(sql`
      SELECT run_id, key, ${column("step", "step")} AS steps, ${column("value", "step")} AS vals,
             ${column("min", "step")} AS mins, ${column("max", "step")} AS maxs
      FROM (
        SELECT run_id, key, max(step) AS step, (array_agg(value ORDER BY step DESC))[1] AS value, min(value) AS min, max(value) AS max
        FROM (
          SELECT p.run_id, p.key, p.step, p.value,
                 floor((p.step - min(p.step) OVER w)::float8 * ${m} / (max(p.step) OVER w - min(p.step) OVER w + 1))::int AS bucket
          FROM unnest(${toPgArray(scan.runs)}::uuid[], ${toPgArray(scan.keys)}::text[]) AS sel(run_id, key)
          JOIN metric_points p ON p.run_id = sel.run_id AND p.key = sel.key
          WINDOW w AS (PARTITION BY p.run_id, p.key)
        ) b GROUP BY run_id, key, bucket
      ) s GROUP BY run_id, key`);
  if (parts.length === 0) return out;
  const list = rowsOf(await db.execute(sql`${sql.join(parts, sql` UNION ALL `)}`));
  for (const r of list) {
    if (r.steps == null) continue; // a summary without points
    const runId = String(r.run_id);
    const seriesOfRun = out.get(runId) ?? [];
    if (!out.has(runId)) out.set(runId, seriesOfRun);
    const values = new JsonText(String(r.vals));
    seriesOfRun.push({
      key: String(r.key),
      columns: {
        steps: new JsonText(String(r.steps)),
        values,
        mins: r.mins == null ? values : new JsonText(String(r.mins)),
        maxs: r.maxs == null ? values : new JsonText(String(r.maxs)),
      },
    });
  }
  for (const s of out.values()) s.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Requested keys keep the caller's order.
  if (keys) for (const [id, s] of out) out.set(id, keys.flatMap((k) => s.filter((x) => x.key === k)));
  return out;
}
