// Creates a PGlite data directory (initdb) and exits. Run as a child process by openPglite on first start: initdb
// takes ~600 MiB that would otherwise stay in the long-lived process that opens the database next.
// Usage: node pglite-initdb.mjs <dataDir>
import { PGlite } from "@electric-sql/pglite";

const dataDir = process.argv[2];
if (!dataDir) {
  console.error("usage: node pglite-initdb.mjs <dataDir>");
  process.exit(2);
}
const db = await PGlite.create({ dataDir });
await db.close();
