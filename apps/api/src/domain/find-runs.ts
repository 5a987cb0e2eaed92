import { metricSummaries, rowsOf, type RunRow, runs, type RunStatus, toPgArray } from "@tunelab/db";
import { and, type SQL, sql } from "drizzle-orm";
import type { Context } from "../context";
import { badInput } from "../errors";

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
  if (f.status?.length) where.push(sql`${runs.status} = ANY(${toPgArray(f.status)}::run_status[])`);
  if (f.datasetId != null) where.push(sql`${runs.datasetId} = ${idOrNone(f.datasetId)}`);
  if (f.baseModelId != null) where.push(sql`${runs.baseModelId} = ${idOrNone(f.baseModelId)}`);
  if (f.tagsAny?.length) where.push(sql`${runs.tags} && ${toPgArray(f.tagsAny)}::text[]`);
  if (f.nameContains) where.push(sql`${runs.name} ILIKE ${"%" + f.nameContains.replace(/[\\%_]/g, (c) => "\\" + c) + "%"}`);
  if (f.learningRateGte != null) where.push(sql`${runs.learningRate} >= ${f.learningRateGte}`);
  if (f.learningRateLte != null) where.push(sql`${runs.learningRate} <= ${f.learningRateLte}`);
  if (f.createdAfter != null) where.push(sql`${runs.createdAt} > ${parseDate(f.createdAfter, "createdAfter").toISOString()}::timestamptz`);
  if (f.createdBefore != null) where.push(sql`${runs.createdAt} < ${parseDate(f.createdBefore, "createdBefore").toISOString()}::timestamptz`);
  for (const m of f.metric ?? []) where.push(sql`EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = ${runs.id} AND ${metricCondition(m)})`);
  return where;
}

/** One metric condition on a summary `s`: its key, and its best value against the bounds given. */
function metricCondition(m: NonNullable<RunFilterInput["metric"]>[number]): SQL {
  const conds: SQL[] = [sql`s.key = ${m.key}`];
  if (m.gt != null) conds.push(sql`s.best > ${m.gt}`);
  if (m.gte != null) conds.push(sql`s.best >= ${m.gte}`);
  if (m.lt != null) conds.push(sql`s.best < ${m.lt}`);
  if (m.lte != null) conds.push(sql`s.best <= ${m.lte}`);
  return sql.join(conds, sql` AND `);
}

/**
 * totalCount for a filter made of metric conditions only (the dashboard's metric filter), counted from
 * metric_summaries' (key, best, run_id) index alone: a summary belongs to exactly one run (its foreign key, cascading
 * on delete) and a run has one summary per key, so the matching summaries are the matching runs, and the join with
 * `runs` that the general count needs (a hash join over every run's id) is skipped. Null for any other filter.
 */
function metricOnlyCountSql(f: RunFilterInput | null | undefined): SQL | null {
  if (!f?.metric?.length) return null;
  const others = Object.entries(f).some(([field, v]) => field !== "metric" && v != null && !(Array.isArray(v) && v.length === 0));
  if (others) return null;
  const matching = f.metric.map((m) => sql`SELECT s.run_id FROM metric_summaries s WHERE ${metricCondition(m)}`);
  return sql`SELECT count(*)::int AS n FROM (${sql.join(matching, sql` INTERSECT `)}) AS matching`;
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

  const where = runFilterSql(args.filter);
  const filterOnly = [...where];
  const cursor = args.after ? decodeCursor(args.after) : null;
  const dir = desc ? sql`DESC` : sql`ASC`;
  const op = desc ? sql`<` : sql`>`;
  const whereOf = (conds: SQL[]) => (conds.length ? sql`WHERE ${and(...conds)}` : sql``);

  let raw: { id: string; sort: string | null }[];
  if (order.field === "METRIC") {
    raw = await metricOrderedIds(ctx, order.metricKey!, filterOnly, cursor, first + 1, { dir, op });
  } else {
    const sortExpr = order.field === "CREATED_AT" ? sql`${runs.createdAt}` : order.field === "NAME" ? sql`${runs.name}` : sql`${runs.status}`;
    const cast = order.field === "CREATED_AT" ? sql`::timestamptz` : order.field === "STATUS" ? sql`::run_status` : sql`::text`;
    const conds = [...where];
    if (cursor) {
      if (cursor.v === null) throw badCursor();
      conds.push(sql`(${sortExpr}, ${runs.id}) ${op} (${cursor.v}${cast}, ${cursor.id}::uuid)`);
    }
    const result = await ctx.handle.db.execute(sql`
      SELECT ${runs.id} AS id, (${sortExpr})::text AS sort
      FROM ${runs}
      ${whereOf(conds)}
      ORDER BY ${sortExpr} ${dir}, ${runs.id} ${dir}
      LIMIT ${first + 1}`);
    raw = rowsOf(result).map((r) => ({ id: String(r.id), sort: String(r.sort) }));
  }
  const hasNextPage = raw.length > first;
  const page = raw.slice(0, first);
  const nodes = await ctx.loaders.run.loadMany(page.map((r) => r.id));
  const edges = page.flatMap((r, i) => {
    const node = nodes[i];
    return node && !(node instanceof Error) ? [{ cursor: encodeCursor(r.sort, node.id), node }] : [];
  });
  return {
    edges,
    pageInfo: { endCursor: edges.length ? edges[edges.length - 1]!.cursor : null, hasNextPage },
    totalCount: async () => {
      const r = rowsOf(await ctx.handle.db.execute(metricOnlyCountSql(args.filter) ?? sql`SELECT count(*)::int AS n FROM ${runs} ${whereOf(filterOnly)}`));
      return Number(r[0]?.n ?? 0);
    },
  };
}

/**
 * METRIC order in two phases, so the first walks metric_summaries_key_best_idx (key, best, run_id) in order instead of
 * joining and sorting every summary of the key: first the runs that have a value for the key, by (best, run_id); then,
 * only when that comes back short of `limit`, the runs without a value, by id (they sort last in both directions). A
 * cursor in the second phase has v = null.
 */
async function metricOrderedIds(
  ctx: Context,
  key: string,
  filter: SQL[],
  cursor: { v: string | null; id: string } | null,
  limit: number,
  o: { dir: SQL; op: SQL },
): Promise<{ id: string; sort: string | null }[]> {
  const out: { id: string; sort: string | null }[] = [];
  if (!cursor || cursor.v !== null) {
    const conds = [sql`ms.key = ${key}`, ...filter];
    if (cursor) conds.push(sql`(ms.best, ms.run_id) ${o.op} (${cursor.v}::float8, ${cursor.id}::uuid)`);
    const result = await ctx.handle.db.execute(sql`
      SELECT ms.run_id AS id, ms.best::text AS sort
      FROM ${metricSummaries} ms JOIN ${runs} ON ${runs.id} = ms.run_id
      WHERE ${and(...conds)}
      ORDER BY ms.best ${o.dir}, ms.run_id ${o.dir}
      LIMIT ${limit}`);
    for (const r of rowsOf(result)) out.push({ id: String(r.id), sort: String(r.sort) });
    if (out.length >= limit) return out;
  }
  const conds = [...filter, sql`NOT EXISTS (SELECT 1 FROM ${metricSummaries} s0 WHERE s0.run_id = ${runs.id} AND s0.key = ${key})`];
  if (cursor?.v === null) conds.push(sql`${runs.id} ${o.op} ${cursor.id}::uuid`);
  const result = await ctx.handle.db.execute(sql`
    SELECT ${runs.id} AS id
    FROM ${runs}
    WHERE ${and(...conds)}
    ORDER BY ${runs.id} ${o.dir}
    LIMIT ${limit - out.length}`);
  for (const r of rowsOf(result)) out.push({ id: String(r.id), sort: null });
  return out;
}

/** v: the row's sort value as text; null for a run without a value for the METRIC order's key. */
function encodeCursor(v: string | null, id: string): string {
  return Buffer.from(JSON.stringify({ v, id })).toString("base64url");
}
function decodeCursor(cursor: string): { v: string | null; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { v: unknown; id: unknown };
    if ((typeof c.v === "string" || c.v === null) && typeof c.id === "string" && UUID.test(c.id)) return { v: c.v, id: c.id };
  } catch {
    // fall through
  }
  throw badCursor();
}
function badCursor() {
  return badInput("after is not a cursor returned by this query (use pageInfo.endCursor).", { field: "after" });
}
