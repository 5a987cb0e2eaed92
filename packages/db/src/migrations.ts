import { fileURLToPath } from "node:url";

/** The committed drizzle-kit migrations; one folder serves PGlite and Postgres alike. */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Any constant shared by every Tunelab process; serialises concurrent migrators on one Postgres. */
export const MIGRATION_LOCK_ID = 727_001;
