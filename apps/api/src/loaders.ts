import {
  type ArtifactRow,
  artifacts,
  type Db,
  type DatasetRow,
  datasets,
  type EvaluationRow,
  evaluations,
  type MetricSummaryRow,
  metricSummaries,
  type ModelRow,
  models,
  type ProjectRow,
  projects,
  type RunRow,
  runs,
  type WorkerRow,
  workers,
} from "@tunelab/db";
import DataLoader from "dataloader";
import { asc, inArray, sql } from "drizzle-orm";
import { isUuid } from "./errors";
import { loadMetricSeries, type MetricSeriesModel } from "./domain/get-run-metrics";

/**
 * Per-request batch loaders: every `Run.dataset`, `Run.summary`, ... of one response is resolved with one query per
 * kind, not one per run. Subscriptions use uncached loaders so each pushed event reads fresh rows.
 */
export function createLoaders(db: Db, options: { cache?: boolean } = {}) {
  const cache = options.cache ?? true;
  const byId = <Row extends { id: string }>(load: (ids: string[]) => Promise<Row[]>) =>
    new DataLoader<string, Row | null>(
      async (ids) => {
        const valid = [...new Set(ids.filter(isUuid))];
        const rows = valid.length ? await load(valid) : [];
        const map = new Map(rows.map((r) => [r.id, r]));
        return ids.map((id) => map.get(id) ?? null);
      },
      { cache },
    );
  const grouped = <Row>(load: (ids: string[]) => Promise<Row[]>, keyOf: (r: Row) => string) =>
    new DataLoader<string, Row[]>(
      async (ids) => {
        const valid = [...new Set(ids.filter(isUuid))];
        const rows = valid.length ? await load(valid) : [];
        const map = new Map<string, Row[]>();
        for (const r of rows) {
          const k = keyOf(r);
          const list = map.get(k);
          if (list) list.push(r);
          else map.set(k, [r]);
        }
        return ids.map((id) => map.get(id) ?? []);
      },
      { cache },
    );

  return {
    run: byId<RunRow>((ids) => db.select().from(runs).where(inArray(runs.id, ids))),
    project: byId<ProjectRow>((ids) => db.select().from(projects).where(inArray(projects.id, ids))),
    dataset: byId<DatasetRow>((ids) => db.select().from(datasets).where(inArray(datasets.id, ids))),
    model: byId<ModelRow>((ids) => db.select().from(models).where(inArray(models.id, ids))),
    artifact: byId<ArtifactRow>((ids) => db.select().from(artifacts).where(inArray(artifacts.id, ids))),
    worker: byId<WorkerRow>((ids) => db.select().from(workers).where(inArray(workers.id, ids))),
    summaries: grouped<MetricSummaryRow>(
      (ids) => db.select().from(metricSummaries).where(inArray(metricSummaries.runId, ids)).orderBy(asc(metricSummaries.key)),
      (r) => r.runId,
    ),
    evaluations: grouped<EvaluationRow>(
      (ids) => db.select().from(evaluations).where(inArray(evaluations.runId, ids)).orderBy(asc(evaluations.createdAt)),
      (r) => r.runId,
    ),
    childModels: grouped<ModelRow>(
      (ids) => db.select().from(models).where(inArray(models.parentId, ids)).orderBy(asc(models.createdAt)),
      (r) => r.parentId!,
    ),
    projectRunCount: new DataLoader<string, number>(
      async (ids) => {
        const valid = [...new Set(ids.filter(isUuid))];
        const rows = valid.length
          ? await db
              .select({ projectId: runs.projectId, n: sql<number>`count(*)::int` })
              .from(runs)
              .where(inArray(runs.projectId, valid))
              .groupBy(runs.projectId)
          : [];
        const map = new Map(rows.map((r) => [r.projectId, Number(r.n)]));
        return ids.map((id) => map.get(id) ?? 0);
      },
      { cache },
    ),
    /** Key: JSON of [runId, keys|null, maxPoints|null]; batched per (keys, maxPoints) combination. */
    metrics: new DataLoader<string, MetricSeriesModel[]>(
      async (keys) => {
        const groups = new Map<string, { runIds: string[]; keys: string[] | null; maxPoints: number | null }>();
        for (const k of keys) {
          const [runId, ks, mp] = JSON.parse(k) as [string, string[] | null, number | null];
          const g = JSON.stringify([ks, mp]);
          const entry = groups.get(g) ?? { runIds: [], keys: ks, maxPoints: mp };
          entry.runIds.push(runId);
          groups.set(g, entry);
        }
        const results = new Map<string, MetricSeriesModel[]>();
        for (const [g, entry] of groups) {
          const byRun = await loadMetricSeries(db, entry.runIds, entry.keys, entry.maxPoints);
          for (const runId of entry.runIds) results.set(JSON.stringify([runId, g]), byRun.get(runId) ?? []);
        }
        return keys.map((k) => {
          const [runId, ks, mp] = JSON.parse(k) as [string, string[] | null, number | null];
          return results.get(JSON.stringify([runId, JSON.stringify([ks, mp])])) ?? [];
        });
      },
      { cache },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
