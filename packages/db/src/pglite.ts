import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { Db, DbHandle } from "./client";
import { DatabaseConnectionError } from "./errors";
import { migrationsFolder } from "./migrations";
import * as schema from "./schema";

export interface PgliteOptions {
  /** Directory for the data files; `undefined` keeps everything in memory. */
  dataDir?: string;
  /** A `dumpDataDir()` tarball to start from (tests use a migrated snapshot to skip initdb). */
  loadDataDir?: Blob | File;
  migrate?: boolean;
}

/** Opens embedded PostgreSQL (PGlite): no server, one connection, data in a local directory. */
export async function openPglite(options: PgliteOptions): Promise<DbHandle> {
  const location = options.dataDir ?? "memory://";
  let client: PGlite;
  try {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    client = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    throw new DatabaseConnectionError(
      `Cannot open the embedded database in ${location}: ${(error as Error).message}. ` +
        `Check that the directory is writable and that no other Tunelab process has it open (DATA_DIR selects another).`,
      location,
      { cause: error },
    );
  }
  const db = drizzle({ client, schema }) as unknown as Db;
  if (options.migrate ?? true) {
    try {
      await migrate(drizzle({ client, schema }), { migrationsFolder });
    } catch (error) {
      await client.close().catch(() => {});
      throw new DatabaseConnectionError(
        `Migrating the embedded database in ${location} failed: ${(error as Error).message}`,
        location,
        { cause: error },
      );
    }
  }
  return {
    db,
    driver: "pglite",
    location,
    pglite: client,
    listen: (channel, onNotification) => client.listen(channel, onNotification),
    notify: async (channel, payload) => {
      await client.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    query: async <T extends Record<string, unknown>>(text: string, params?: unknown[]) =>
      (await client.query<T>(text, params)).rows,
    close: () => client.close(),
  };
}
