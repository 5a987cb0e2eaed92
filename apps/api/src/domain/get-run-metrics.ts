import type { Db } from "@tunelab/db";
import { sql } from "drizzle-orm";

export interface MetricPointModel {
  step: number;
  value: number;
  min: number;
  max: number;
}
export interface MetricSeriesModel {
  key: string;
  points: MetricPointModel[];
}

/**
 * Reads the metric series of several runs in one query. With maxPoints > 0, each series with more points than that is
 * downsampled in SQL into at most maxPoints step buckets, each keeping the bucket's last value (highest step) and its
 * min and max, so a spike survives downsampling.
 */
export async function loadMetricSeries(
  db: Db,
  runIds: string[],
  keys: string[] | null,
  maxPoints: number | null,
): Promise<Map<string, MetricSeriesModel[]>> {
  const m = maxPoints && maxPoints > 0 ? maxPoints : 0;
  const keyFilter = keys ? sql`AND key = ANY(${toPgArray(keys)}::text[])` : sql``;
  const rows = (await db.execute(sql`
    WITH p AS (
      SELECT run_id, key, step, value,
             min(step) OVER w AS mn, max(step) OVER w AS mx, count(*) OVER w AS n
      FROM metric_points
      WHERE run_id = ANY(${toPgArray(runIds)}::uuid[]) ${keyFilter}
      WINDOW w AS (PARTITION BY run_id, key)
    ), b AS (
      SELECT run_id, key, step, value,
             CASE WHEN ${m} = 0 OR n <= ${m} THEN step
                  ELSE floor((step - mn)::float8 * ${m} / (mx - mn + 1))::int END AS bucket
      FROM p
    )
    SELECT run_id, key, max(step) AS step, (array_agg(value ORDER BY step DESC))[1] AS value,
           min(value) AS min, max(value) AS max
    FROM b GROUP BY run_id, key, bucket ORDER BY run_id, key, max(step)
  `)) as unknown as { rows?: Record<string, unknown>[] } | Record<string, unknown>[];
  const list = Array.isArray(rows) ? rows : (rows.rows ?? []);
  const out = new Map<string, MetricSeriesModel[]>();
  for (const r of list) {
    const runId = String(r.run_id);
    const series = out.get(runId) ?? [];
    if (!out.has(runId)) out.set(runId, series);
    let s = series[series.length - 1];
    if (!s || s.key !== r.key) series.push((s = { key: String(r.key), points: [] }));
    s.points.push({ step: Number(r.step), value: Number(r.value), min: Number(r.min), max: Number(r.max) });
  }
  // Requested keys keep the caller's order.
  if (keys) for (const [id, series] of out) out.set(id, keys.flatMap((k) => series.filter((s) => s.key === k)));
  return out;
}

/** A JS string array as a Postgres array literal parameter (works the same on node-postgres and PGlite). */
export function toPgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}
