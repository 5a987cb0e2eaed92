import path from "node:path";
import type { DbHandle } from "./client";
import { openPglite } from "./pglite";
import { openPostgres } from "./postgres";

export interface CreateDbOptions {
  /** postgres:// URL; when set, node-postgres is used. Defaults to `process.env.DATABASE_URL`. */
  databaseUrl?: string;
  /** Root data directory for the embedded database (PGlite keeps its files in `<dataDir>/pglite`). */
  dataDir?: string;
  /** Apply the committed migrations before returning (default true). */
  migrate?: boolean;
  maxConnections?: number;
}

/** Default root for local data: `DATA_DIR`, else `.tunelab` in the working directory. */
export function defaultDataDir(): string {
  return path.resolve(process.env.DATA_DIR || ".tunelab");
}

/**
 * Opens the platform database: real Postgres when a URL is given (or DATABASE_URL is set), embedded PGlite in a data
 * directory otherwise. Either way the same migrations are applied before it is handed out.
 */
export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const url = options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  if (url) return openPostgres({ url, migrate: options.migrate, maxConnections: options.maxConnections });
  const dataDir = options.dataDir ?? defaultDataDir();
  return openPglite({ dataDir: path.join(dataDir, "pglite"), migrate: options.migrate });
}
