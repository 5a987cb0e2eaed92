import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { DbDriver, DbHandle } from "../client";
import { describeDatabaseUrl } from "../errors";
import { migrationsFolder } from "../migrations";
import { openPglite } from "../pglite";
import { openPostgres } from "../postgres";

/**
 * The drivers a test suite should run against: PGlite always, real Postgres too when TEST_DATABASE_URL is set.
 * Use with `describe.each(testDrivers())`.
 */
export function testDrivers(): DbDriver[] {
  return process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDb extends DbHandle {
  /** For postgres: the URL of this test's own database (other processes, e.g. a second API, can open it). */
  url?: string;
}

/**
 * A fresh, migrated, isolated database for one test: an in-memory PGlite started from a migrated snapshot, or a new
 * database created on the TEST_DATABASE_URL server and dropped on close.
 */
export async function createTestDb(driver: DbDriver = "pglite"): Promise<TestDb> {
  return driver === "postgres" ? createPostgresTestDb() : createPgliteTestDb();
}

async function createPgliteTestDb(): Promise<TestDb> {
  const snapshot = await migratedSnapshot();
  return openPglite({ loadDataDir: snapshot, migrate: true });
}

let snapshotPromise: Promise<Blob> | undefined;

/**
 * initdb in PGlite takes 6-13 s; loading a tarball of an already migrated data directory takes ~1.5 s. The tarball is
 * cached on disk keyed by the migrations' content, so every test file and every run after the first reuses it.
 */
function migratedSnapshot(): Promise<Blob> {
  snapshotPromise ??= (async () => {
    const key = await migrationsHash();
    const dir = path.join(os.tmpdir(), "tunelab-pglite-snapshots");
    const file = path.join(dir, `${key}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      const handle = await openPglite({ migrate: true });
      const dump = await handle.pglite!.dumpDataDir("none");
      await handle.close();
      const bytes = Buffer.from(await dump.arrayBuffer());
      await mkdir(dir, { recursive: true });
      // Write then rename so a parallel test process never reads half a file.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
      return new Blob([bytes]);
    }
  })();
  return snapshotPromise;
}

async function migrationsHash(): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else hash.update(entry.name).update(await readFile(full));
    }
  };
  await walk(migrationsFolder);
  return hash.digest("hex").slice(0, 16);
}

async function createPostgresTestDb(): Promise<TestDb> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set: cannot create a Postgres test database.");
  const name = `tunelab_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openPostgres({ url: url.toString(), migrate: true, maxConnections: 5 });
  return {
    ...handle,
    url: url.toString(),
    location: describeDatabaseUrl(url.toString()),
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
