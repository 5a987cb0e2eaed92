import { existsSync } from "node:fs";
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

/**
 * Default root for local data: `DATA_DIR`, else `.tunelab` at the workspace root (found by walking up to
 * pnpm-workspace.yaml), so the API and the local worker agree whichever package directory they start in.
 */
export function defaultDataDir(): string {
  if (process.env.DATA_DIR) return path.resolve(process.env.DATA_DIR);
  return path.join(findWorkspaceRoot(process.cwd()) ?? process.cwd(), ".tunelab");
}

function findWorkspaceRoot(start: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
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
