import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Pool } from "pg";
import type * as schema from "./schema";

/** The Drizzle database, whichever driver is underneath (PGlite or node-postgres). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A transaction handle inside `db.transaction(...)`; accepts the same queries as `Db`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export type DbDriver = "pglite" | "postgres";

/** Callback for a NOTIFY payload; payloads are strings (up to 8000 bytes in Postgres). */
export type NotificationHandler = (payload: string) => void;

export interface DbHandle {
  db: Db;
  driver: DbDriver;
  /** Where the data lives, safe to log (no password): a directory for PGlite, host:port/database for Postgres. */
  location: string;
  /** LISTEN on a channel; resolves once listening. The returned function stops listening. */
  listen(channel: string, onNotification: NotificationHandler): Promise<() => Promise<void>>;
  /** NOTIFY a channel (delivered to listeners in every process connected to the same database). */
  notify(channel: string, payload: string): Promise<void>;
  /** Runs raw SQL and returns its rows (for the few queries Drizzle's builder cannot express). */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
  /** The embedded client, when driver is pglite. */
  pglite?: PGlite;
  /** The node-postgres pool, when driver is postgres. */
  pool?: Pool;
}
