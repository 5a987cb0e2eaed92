import { datasets, models, rowsOf, type Tx } from "@tunelab/db";
import { eq, type SQL, sql } from "drizzle-orm";

type Versioned = "datasets" | "models";

/**
 * Serialises registrations of one dataset/model name for the rest of the transaction (also across API processes), so
 * two uploads of one name get v1 and v2, never a clash. Read the next version in a LATER statement (nextVersion, or
 * nextVersionOf inside the INSERT): a statement's snapshot is taken when it starts, before this lock is granted.
 */
export async function lockVersionedName(tx: Tx, table: Versioned, name: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`${table}:${name}`}))`);
}

/** The next version of a name as an SQL expression, for the INSERT that takes it (after lockVersionedName). */
export function nextVersionOf(table: Versioned, name: string): SQL<number> {
  const t = table === "datasets" ? datasets : models;
  return sql<number>`(SELECT coalesce(max(${t.version}), 0)::int + 1 FROM ${t} WHERE ${eq(t.name, name)})`;
}

/** The next immutable version of a dataset/model name, with the name locked (see lockVersionedName). */
export async function nextVersion(tx: Tx, table: Versioned, name: string): Promise<number> {
  await lockVersionedName(tx, table, name);
  const [row] = rowsOf(await tx.execute(sql`SELECT ${nextVersionOf(table, name)} AS v`));
  return Number(row?.v ?? 1);
}
