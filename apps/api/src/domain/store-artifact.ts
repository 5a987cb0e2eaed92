import type { Readable } from "node:stream";
import { type ArtifactRow, artifacts, type Db, type Tx } from "@tunelab/db";
import { sql } from "drizzle-orm";
import type { ArtifactStore } from "../artifacts/store";

/**
 * Stores bytes and returns their artifact row. Content-addressed: uploading the same bytes twice returns the same row
 * (the insert is an upsert on sha256, safe with several API processes).
 */
export async function storeArtifact(
  db: Db | Tx,
  store: ArtifactStore,
  source: Readable | Uint8Array,
  contentType: string,
  maxBytes: number,
): Promise<ArtifactRow> {
  const blob = await store.put(source, maxBytes);
  const [row] = await db
    .insert(artifacts)
    .values({ sha256: blob.sha256, sizeBytes: blob.sizeBytes, storageKey: blob.storageKey, contentType })
    .onConflictDoUpdate({ target: artifacts.sha256, set: { sha256: sql`excluded.sha256` } })
    .returning();
  return row!;
}
