import type { DatasetRow, ModelRow, ProjectRow, RunRow, WorkerRow } from "@tunelab/db";
import type { Context } from "../context";
import { notFound } from "../errors";

/** get-* lookups: throw NOT_FOUND with the id when missing (the nullable contract queries use the loaders directly). */
export async function getRun(ctx: Context, id: string): Promise<RunRow> {
  return (await ctx.loaders.run.load(id)) ?? Promise.reject(notFound("run", id));
}
export async function getDataset(ctx: Context, id: string): Promise<DatasetRow> {
  return (await ctx.loaders.dataset.load(id)) ?? Promise.reject(notFound("dataset", id));
}
export async function getModel(ctx: Context, id: string): Promise<ModelRow> {
  return (await ctx.loaders.model.load(id)) ?? Promise.reject(notFound("model", id));
}
export async function getProject(ctx: Context, id: string): Promise<ProjectRow> {
  return (await ctx.loaders.project.load(id)) ?? Promise.reject(notFound("project", id));
}
export async function getWorker(ctx: Context, id: string): Promise<WorkerRow> {
  return (await ctx.loaders.worker.load(id)) ?? Promise.reject(notFound("worker", id));
}
