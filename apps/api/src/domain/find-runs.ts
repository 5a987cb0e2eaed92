import { metricSummaries, type RunRow, runs, type RunStatus } from "@tunelab/db";
import { and, type SQL, sql } from "drizzle-orm";
import type { Context } from "../context";
import { badInput } from "../errors";
import { toPgArray } from "./get-run-metrics";

export interface RunFilterInput {
  projectId?: string | null;
  status?: RunStatus[] | null;
  datasetId?: string | null;
  baseModelId?: string | null;
  tagsAny?: string[] | null;
  nameContains?: string | null;
  learningRateGte?: number | null;
  learningRateLte?: number | null;
  metric?: { key: string; gt?: number | null; gte?: number | null; lt?: number | null; lte?: number | null }[] | null;
  createdAfter?: Date | string | null;
  createdBefore?: Date | string | null;
}
export interface RunOrderInput {
  field: "CREATED_AT" | "NAME" | "STATUS" | "METRIC";
  direction: "ASC" | "DESC";
  metricKey?: string | null;
}
export interface RunEdgeModel {
  cursor: string;
  node: RunRow;
}
export interface RunConnectionModel {
  edges: RunEdgeModel[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
  /** Counted lazily: only when the client asks for totalCount. */
  totalCount: () => Promise<number>;
}

const UUID = /^[0-9a-f-]{36}$/i;

function parseDate(v: Date | string, field: string): Date {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw badInput(`${field} must be an ISO-8601 date-time.`);
  return d;
}

/** Every RunFilter field combined with AND (tagsAny: any of the tags; metric: against the run's best value). */
export function runFilterSql(f: RunFilterInput | null | undefined): SQL[] {
  if (!f) return [];
  const where: SQL[] = [];
  const idOrNone = (id: string) => (UUID.test(id) ? sql`${id}::uuid` : sql`NULL::uuid`);
  if (f.projectId != null) where.push(sql`${runs.projectId} = ${idOrNone(f.projectId)}`);
  if (f.status?.length) where.push(sql`${runs.status}::text = ANY(${toPgArray(f.status)}::text[])`);
  if (f.datasetId != null) where.push(sql`${runs.datasetId} = ${idOrNone(f.datasetId)}`);
  if (f.baseModelId != null) where.push(sql`${runs.baseModelId} = ${idOrNone(f.baseModelId)}`);
  if (f.tagsAny?.length) where.push(sql`${runs.tags} && ${toPgArray(f.tagsAny)}::text[]`);
  if (f.nameContains) where.push(sql`${runs.name} ILIKE ${"%" + f.nameContains.replace(/[\\%_]/g, (c) => "\\" + c) + "%"}`);
  if (f.learningRateGte != null) where.push(sql`${runs.learningRate} >= ${f.learningRateGte}`);
  if (f.learningRateLte != null) where.push(sql`${runs.learningRate} <= ${f.learningRateLte}`);
  if (f.createdAfter != null) where.push(sql`${runs.createdAt} > ${parseDate(f.createdAfter, "createdAfter").toISOString()}::timestamptz`);
  if (f.createdBefore != null) where.push(sql`${runs.createdAt} < ${parseDate(f.createdBefore, "createdBefore").toISOString()}::timestamptz`);
  for (const m of f.metric ?? []) {
    const conds: SQL[] = [sql`s.key = ${m.key}`];
    if (m.gt != null) conds.push(sql`s.best > ${m.gt}`);
    if (m.gte != null) conds.push(sql`s.best >= ${m.gte}`);
    if (m.lt != null) conds.push(sql`s.best < ${m.lt}`);
    if (m.lte != null) conds.push(sql`s.best <= ${m.lte}`);
    where.push(sql`EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = ${runs.id} AND ${sql.join(conds, sql` AND `)})`);
  }
  return where;
}

/**
 * The run history with every filter, ordering by created time, name, status or a metric's best value, and keyset
 * (Relay) pagination: the cursor holds the last row's sort value and id, so pages stay stable while runs are added.
 */
export async function findRuns(
  ctx: Context,
  args: { filter?: RunFilterInput | null; orderBy?: RunOrderInput | null; first?: number | null; after?: string | null },
): Promise<RunConnectionModel> {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 0 || first > ctx.env.maxPageSize)
    throw badInput(`first must be an integer from 0 to ${ctx.env.maxPageSize}.`, { field: "first", max: ctx.env.maxPageSize });
  const order = args.orderBy ?? { field: "CREATED_AT", direction: "DESC" };
  if (order.field === "METRIC" && !order.metricKey) throw badInput("orderBy.metricKey is required when orderBy.field is METRIC.");
  const desc = order.direction === "DESC";

  // The sort expression; NULL metric values sort last in both directions.
  let sortExpr: SQL;
  let join: SQL | null = null;
  switch (order.field) {
    case "CREATED_AT":
      sortExpr = sql`${runs.createdAt}`;
      break;
    case "NAME":
      sortExpr = sql`${runs.name}`;
      break;
    case "STATUS":
      sortExpr = sql`${runs.status}`;
      break;
    case "METRIC":
      join = sql`LEFT JOIN ${metricSummaries} ms ON ms.run_id = ${runs.id} AND ms.key = ${order.metricKey!}`;
      sortExpr = desc ? sql`COALESCE(ms.best, '-Infinity'::float8)` : sql`COALESCE(ms.best, 'Infinity'::float8)`;
      break;
  }
  const cast = order.field === "CREATED_AT" ? sql`::timestamptz` : order.field === "STATUS" ? sql`::run_status` : order.field === "METRIC" ? sql`::float8` : sql`::text`;

  const where = runFilterSql(args.filter);
  const filterOnly = [...where];
  if (args.after) {
    const c = decodeCursor(args.after);
    const op = desc ? sql`<` : sql`>`;
    where.push(sql`(${sortExpr}, ${runs.id}) ${op} (${c.v}${cast}, ${c.id}::uuid)`);
  }
  const whereSql = where.length ? sql`WHERE ${and(...where)}` : sql``;
  const dir = desc ? sql`DESC` : sql`ASC`;
  const result = await ctx.handle.db.execute(sql`
    SELECT ${runs.id} AS id, (${sortExpr})::text AS sort
    FROM ${runs} ${join ?? sql``}
    ${whereSql}
    ORDER BY ${sortExpr} ${dir}, ${runs.id} ${dir}
    LIMIT ${first + 1}`);
  const raw = rowsOf(result);
  const hasNextPage = raw.length > first;
  const page = raw.slice(0, first);
  const nodes = await ctx.loaders.run.loadMany(page.map((r) => String(r.id)));
  const edges = page.flatMap((r, i) => {
    const node = nodes[i];
    return node && !(node instanceof Error) ? [{ cursor: encodeCursor(String(r.sort), node.id), node }] : [];
  });
  return {
    edges,
    pageInfo: { endCursor: edges.length ? edges[edges.length - 1]!.cursor : null, hasNextPage },
    totalCount: async () => {
      const w = filterOnly.length ? sql`WHERE ${and(...filterOnly)}` : sql``;
      const r = rowsOf(await ctx.handle.db.execute(sql`SELECT count(*)::int AS n FROM ${runs} ${w}`));
      return Number(r[0]?.n ?? 0);
    },
  };
}

export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

function encodeCursor(v: string, id: string): string {
  return Buffer.from(JSON.stringify({ v, id })).toString("base64url");
}
function decodeCursor(cursor: string): { v: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { v: unknown; id: unknown };
    if (typeof c.v === "string" && typeof c.id === "string" && UUID.test(c.id)) return { v: c.v, id: c.id };
  } catch {
    // fall through
  }
  throw badInput("after is not a cursor returned by this query (use pageInfo.endCursor).", { field: "after" });
}
