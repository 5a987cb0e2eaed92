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

/** Finite numbers (null for SQL NULL) as one Postgres array literal (String() round-trips a double exactly). */
export function toPgNumberArray(values: readonly (number | null)[]): string {
  return `{${values.map((v) => (v === null ? "NULL" : String(v))).join(",")}}`;
}

/** float8 in Postgres's binary array format (what array_recv reads): an element type Oid, then a length and 8 bytes each. */
const FLOAT8_OID = 701;

/**
 * Numbers (null for SQL NULL) as a float8[] in Postgres's binary format, for node-postgres, which sends a Buffer
 * parameter as binary. A report's values then cost neither JavaScript's double-to-text conversion nor Postgres's
 * text-to-double parse (a 400-value report spent about a tenth of the API's CPU on the former).
 */
export function toPgFloat8ArrayBinary(values: readonly (number | null)[]): Buffer {
  let nulls = 0;
  for (const v of values) if (v === null) nulls++;
  // Header: ndim, has-nulls flag, element type; for one dimension also its length and lower bound.
  const header = values.length === 0 ? 12 : 20;
  const buf = Buffer.allocUnsafe(header + values.length * 4 + (values.length - nulls) * 8);
  buf.writeInt32BE(values.length === 0 ? 0 : 1, 0);
  buf.writeInt32BE(nulls > 0 ? 1 : 0, 4);
  buf.writeUInt32BE(FLOAT8_OID, 8);
  if (values.length === 0) return buf;
  buf.writeInt32BE(values.length, 12);
  buf.writeInt32BE(1, 16);
  let o = header;
  for (const v of values) {
    if (v === null) {
      buf.writeInt32BE(-1, o);
      o += 4;
    } else {
      buf.writeInt32BE(8, o);
      buf.writeDoubleBE(v, o + 4);
      o += 12;
    }
  }
  return buf;
}

/** The rows of `db.execute(...)`: node-postgres returns a result with `rows`, PGlite's Drizzle driver an array. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return (result as { rows?: Record<string, unknown>[] }).rows ?? [];
}
