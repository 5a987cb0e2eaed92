import { type DatasetRow, datasets, type ModelKind, type ModelRow, models, projects, type RunRow, type TaskType, workers } from "@tunelab/db";
import { and, asc, desc, eq, gt, isNull, type SQL } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, conflict } from "../errors";

export async function listProjects(ctx: Context) {
  return ctx.handle.db.select().from(projects).orderBy(asc(projects.createdAt));
}

export async function createProject(ctx: Context, name: string) {
  const clean = name.trim();
  if (!clean || clean.length > 100) throw badInput("name must be 1 to 100 characters.", { field: "name" });
  const [row] = await ctx.handle.db.insert(projects).values({ name: clean }).onConflictDoNothing({ target: projects.name }).returning();
  if (!row) throw conflict(`A project named ${JSON.stringify(clean)} already exists.`);
  return row;
}

export async function listDatasets(ctx: Context, task: TaskType | null): Promise<DatasetRow[]> {
  const rows = await ctx.handle.db
    .select()
    .from(datasets)
    .where(task ? eq(datasets.task, task) : undefined)
    .orderBy(asc(datasets.name), desc(datasets.version));
  for (const r of rows) ctx.loaders.dataset.prime(r.id, r);
  return rows;
}

export async function listModels(ctx: Context, kind: ModelKind | null, task: TaskType | null): Promise<ModelRow[]> {
  const where: SQL[] = [];
  if (kind) where.push(eq(models.kind, kind));
  if (task) where.push(eq(models.task, task));
  const rows = await ctx.handle.db
    .select()
    .from(models)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(models.name), desc(models.version));
  for (const r of rows) ctx.loaders.model.prime(r.id, r);
  return rows;
}

/** Workers registered and not stopped, most recently seen first. */
export async function listWorkers(ctx: Context) {
  const rows = await ctx.handle.db
    .select()
    .from(workers)
    .where(isNull(workers.stoppedAt))
    .orderBy(desc(workers.lastHeartbeatAt));
  for (const r of rows) ctx.loaders.worker.prime(r.id, r);
  return rows;
}

const liveWorkers = new WeakMap<Context, Promise<{ backends: string[] }[]>>();

/** Why a queued run waits: no live worker at all, or none serving its requested backends (one query per request). */
export async function waitingReason(ctx: Context, run: RunRow): Promise<string | null> {
  let rows = liveWorkers.get(ctx);
  if (!rows) {
    const since = new Date(Date.now() - (ctx.env.heartbeatSeconds * 2 + 5) * 1000);
    rows = ctx.handle.db
      .select({ backends: workers.backends })
      .from(workers)
      .where(and(isNull(workers.stoppedAt), gt(workers.lastHeartbeatAt, since)));
    liveWorkers.set(ctx, rows);
  }
  const live = await rows;
  if (live.length === 0) return "No worker is online: start one (tunelab-worker) to train queued runs.";
  if (run.requestedBackends.length && !live.some((w) => w.backends.some((b) => run.requestedBackends.includes(b as never))))
    return `Waiting for a worker that serves ${run.requestedBackends.join(" or ")}; online workers serve ${[...new Set(live.flatMap((w) => w.backends))].join(", ")}.`;
  return "Waiting in the queue for a free worker.";
}
