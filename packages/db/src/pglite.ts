import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * Settings of the embedded database. Postgres' default 128MB of shared_buffers costs ~100 MiB of the API's resident
 * memory inside PGlite; the data files sit in the OS page cache underneath, so a small buffer cache loses little.
 */
export const EMBEDDED_SETTINGS = ["shared_buffers=32MB"];

/** Opens embedded PostgreSQL (PGlite): no server, one connection, data in a local directory. */
export async function openPglite(options: PgliteOptions): Promise<DbHandle> {
  const location = options.dataDir ?? "memory://";
  let client: PGlite;
  try {
    if (options.dataDir) {
      await mkdir(options.dataDir, { recursive: true });
      if (!options.loadDataDir && !existsSync(path.join(options.dataDir, "PG_VERSION"))) await initdbInChildProcess(options.dataDir);
    }
    client = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((setting) => ["-c", setting])],
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

/**
 * Runs initdb for a new data directory in a short-lived child process: it peaks at ~800 MiB, and a WASM instance's
 * memory never shrinks, so done in-process it would stay in the API for its whole life.
 */
async function initdbInChildProcess(dataDir: string): Promise<void> {
  const script = fileURLToPath(new URL("./pglite-initdb.mjs", import.meta.url));
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [script, dataDir], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`initdb exited with ${code}: ${Buffer.concat(stderr).toString("utf8").trim().slice(-2000)}`);
}
