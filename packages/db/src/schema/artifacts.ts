import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { bigint, check, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * Stored blobs (dataset files, model bundles). Content-addressed: one row per distinct sha256, and the storage key
 * names where the artifact store keeps the bytes (a path on local disk, an object key on S3).
 */
export const artifacts = pgTable(
  "artifacts",
  {
    id: id(),
    sha256: text("sha256").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    contentType: text("content_type").notNull(),
    storageKey: text("storage_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("artifacts_sha256_key").on(t.sha256),
    uniqueIndex("artifacts_storage_key_key").on(t.storageKey),
    check("artifacts_sha256_hex", sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check("artifacts_size_nonnegative", sql`${t.sizeBytes} >= 0`),
  ],
);

export type ArtifactRow = InferSelectModel<typeof artifacts>;
export type NewArtifactRow = InferInsertModel<typeof artifacts>;
