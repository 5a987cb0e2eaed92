import { sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { Db, Tx } from "../client";
import { isLowerBetter, metricPoints, metricSummaries } from "../schema/metrics";

export interface MetricPointInput {
  runId: string;
  key: string;
  step: number;
  value: number;
}

/**
 * Writes metric points and keeps each (run, key) summary current in the same transaction. Re-sending a point upserts
 * it (the primary key is run/key/step), so a retried epoch report never duplicates anything; only newly inserted
 * points add to `count`.
 */
export async function recordMetricPoints(db: Db | Tx, points: MetricPointInput[]): Promise<{ inserted: number }> {
  if (points.length === 0) return { inserted: 0 };
  for (const p of points) {
    if (!Number.isFinite(p.value)) throw new RangeError(`metric ${p.key} at step ${p.step} is not a finite number`);
    if (!Number.isInteger(p.step) || p.step < 0) throw new RangeError(`metric ${p.key} has an invalid step ${p.step}`);
  }
  const write = async (tx: Db | Tx) => {
    const rows = await tx
      .insert(metricPoints)
      .values(points)
      .onConflictDoUpdate({
        target: [metricPoints.runId, metricPoints.key, metricPoints.step],
        set: { value: sql`excluded.value`, recordedAt: sql`now()` },
      })
      .returning({ runId: metricPoints.runId, key: metricPoints.key, inserted: sql<boolean>`(xmax = 0)` });
    const newCounts = new Map<string, number>();
    for (const r of rows) if (r.inserted) newCounts.set(`${r.runId}\u0000${r.key}`, (newCounts.get(`${r.runId}\u0000${r.key}`) ?? 0) + 1);

    const batch = new Map<string, typeof metricSummaries.$inferInsert>();
    for (const p of points) {
      const id = `${p.runId}\u0000${p.key}`;
      const lower = isLowerBetter(p.key);
      const s = batch.get(id);
      if (!s) {
        batch.set(id, {
          runId: p.runId,
          key: p.key,
          last: p.value,
          lastStep: p.step,
          min: p.value,
          max: p.value,
          best: p.value,
          bestStep: p.step,
          count: newCounts.get(id) ?? 0,
          lowerIsBetter: lower,
        });
        continue;
      }
      if (p.step >= s.lastStep) Object.assign(s, { last: p.value, lastStep: p.step });
      s.min = Math.min(s.min, p.value);
      s.max = Math.max(s.max, p.value);
      if (lower ? p.value < s.best : p.value > s.best) Object.assign(s, { best: p.value, bestStep: p.step });
    }
    await tx
      .insert(metricSummaries)
      .values([...batch.values()])
      .onConflictDoUpdate({
        target: [metricSummaries.runId, metricSummaries.key],
        set: {
          last: sql`CASE WHEN excluded.last_step >= ${metricSummaries.lastStep} THEN excluded.last ELSE ${metricSummaries.last} END`,
          lastStep: sql`GREATEST(excluded.last_step, ${metricSummaries.lastStep})`,
          min: sql`LEAST(excluded.min, ${metricSummaries.min})`,
          max: sql`GREATEST(excluded.max, ${metricSummaries.max})`,
          best: sql`CASE WHEN ${metricSummaries.lowerIsBetter} THEN LEAST(excluded.best, ${metricSummaries.best}) ELSE GREATEST(excluded.best, ${metricSummaries.best}) END`,
          bestStep: sql`CASE WHEN (${metricSummaries.lowerIsBetter} AND excluded.best < ${metricSummaries.best}) OR (NOT ${metricSummaries.lowerIsBetter} AND excluded.best > ${metricSummaries.best}) THEN excluded.best_step ELSE ${metricSummaries.bestStep} END`,
          count: sql`${metricSummaries.count} + excluded.count`,
          updatedAt: sql`now()`,
        },
      });
    return { inserted: [...newCounts.values()].reduce((a, b) => a + b, 0) };
  };
  // Inside the caller's transaction, write directly: a nested transaction would add a savepoint round trip per call.
  return db instanceof PgTransaction ? write(db) : (db as Db).transaction(write);
}
