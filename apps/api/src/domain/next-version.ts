import { datasets, models, type Tx } from "@tunelab/db";
import { eq, sql } from "drizzle-orm";

/**
 * The next immutable version of a dataset/model name. A transaction-scoped advisory lock on the name serialises
 * concurrent registrations (also across API processes), so two uploads of one name get v1 and v2, never a clash.
 */
export async function nextVersion(tx: Tx, table: "datasets" | "models", name: string): Promise<number> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`${table}:${name}`}))`);
  const t = table === "datasets" ? datasets : models;
  const [row] = await tx
    .select({ v: sql<number>`coalesce(max(${t.version}), 0)::int` })
    .from(t)
    .where(eq(t.name, name));
  return Number(row?.v ?? 0) + 1;
}
