/**
 * Values for raw SQL run through Drizzle's `db.execute`, the same on node-postgres and PGlite: arrays as one Postgres
 * array literal parameter (one parameter per column, cast in the SQL, e.g. `${toPgArray(ids)}::uuid[]`), and the rows
 * of a result whichever driver returned it.
 */

const NEEDS_ESCAPE = /["\\]/;

/** Strings as one Postgres array literal, each element quoted and escaped. */
export function toPgArray(values: readonly string[]): string {
  // Most elements (metric names, ids) need no escaping: skip the two replaces for them (a report sends hundreds).
  return `{${values.map((v) => (NEEDS_ESCAPE.test(v) ? `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : `"${v}"`)).join(",")}}`;
}

/** Finite numbers as one Postgres array literal (String() round-trips a double exactly). */
export function toPgNumberArray(values: readonly number[]): string {
  return `{${values.map((v) => String(v)).join(",")}}`;
}

/** The rows of `db.execute(...)`: node-postgres returns a result with `rows`, PGlite's Drizzle driver an array. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return (result as { rows?: Record<string, unknown>[] }).rows ?? [];
}
