import { type ArtifactRow, artifacts, type DatasetRow, datasets } from "@tunelab/db";
import { desc, eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, isUuid, notFound } from "../errors";
import { DatasetValidationError, parseDatasetFile } from "../trainer";
import { nextVersion } from "./next-version";
import { storeArtifact } from "./store-artifact";

export interface DatasetRegistrationModel {
  dataset: DatasetRow;
  skippedRows: { line: number; reason: string }[];
  created: boolean;
}

export interface RegisterDatasetInput {
  name: string;
  task: "IMAGE_CLASSIFICATION" | "TEXT_CLASSIFICATION" | "TABULAR_CLASSIFICATION";
  format: "CSV" | "JSONL";
  artifactId?: string | null;
  content?: string | null;
  labelColumn?: string | null;
  textColumn?: string | null;
  onBadRow?: "FAIL" | "SKIP" | null;
  description?: string | null;
}

const MAX_INLINE = 5 * 1024 * 1024;

/**
 * Validates an uploaded CSV/JSONL file with the trainer's loader (every bad row listed in extensions.rowErrors) and
 * registers it as a new immutable version. The same bytes as the latest version of the name register nothing new.
 */
export async function registerDataset(ctx: Context, input: RegisterDatasetInput): Promise<DatasetRegistrationModel> {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/.test(name))
    throw badInput("name must be 1-100 characters: letters, digits, space, dot, dash, underscore (starting with a letter or digit).", { field: "name" });
  if ((input.artifactId == null) === (input.content == null)) throw badInput("Give exactly one of artifactId (from POST /artifacts) or content.");
  let bytes: Uint8Array;
  let artifact: ArtifactRow | null = null;
  if (input.artifactId != null) {
    if (!isUuid(input.artifactId)) throw notFound("artifact", input.artifactId);
    artifact = (await ctx.handle.db.select().from(artifacts).where(eq(artifacts.id, input.artifactId)))[0] ?? null;
    if (!artifact) throw notFound("artifact", input.artifactId);
    bytes = await readAll(await ctx.store.open(artifact.storageKey));
  } else {
    bytes = new TextEncoder().encode(input.content!);
    if (bytes.length > MAX_INLINE) throw badInput(`content is limited to ${MAX_INLINE} bytes: upload larger files with POST /artifacts.`);
  }
  const format = input.format === "CSV" ? "csv" : "jsonl";
  const options = {
    labelColumn: input.labelColumn ?? "label",
    ...(input.textColumn ? { textColumn: input.textColumn } : {}),
  };
  let parsed;
  try {
    parsed = parseDatasetFile(bytes, { format, task: input.task, ...options, onBadRow: input.onBadRow === "SKIP" ? "skip" : "fail" });
  } catch (e) {
    if (e instanceof DatasetValidationError)
      throw badInput(`The ${format.toUpperCase()} file was rejected: ${e.message}`, { rowErrors: e.rowErrors.slice(0, 1000), rowErrorCount: e.rowErrors.length });
    throw badInput(`The ${format.toUpperCase()} file could not be read: ${(e as Error).message}`);
  }
  if (!artifact) artifact = await storeArtifact(ctx.handle.db, ctx.store, bytes, format === "csv" ? "text/csv" : "application/x-ndjson", ctx.env.uploadLimitBytes);
  const stored = artifact;
  const result = await ctx.handle.db.transaction(async (tx) => {
    const version = await nextVersion(tx, "datasets", name);
    const [latest] = await tx.select().from(datasets).where(eq(datasets.name, name)).orderBy(desc(datasets.version)).limit(1);
    if (latest && latest.artifactId === stored.id && latest.task === input.task && JSON.stringify(latest.options) === JSON.stringify(options))
      return { dataset: latest, created: false };
    const [row] = await tx
      .insert(datasets)
      .values({
        name,
        version,
        task: input.task,
        classNames: parsed.classNames,
        classCounts: parsed.classNames.map((c) => parsed.classCounts[c] ?? 0),
        numExamples: parsed.numExamples,
        sha256: stored.sha256,
        sizeBytes: stored.sizeBytes,
        source: "upload",
        format,
        artifactId: stored.id,
        options,
        description: input.description ?? null,
      })
      .returning();
    return { dataset: row!, created: true };
  });
  ctx.log.info({ datasetId: result.dataset.id, name, version: result.dataset.version, created: result.created }, "dataset registered");
  return { ...result, skippedRows: parsed.skipped };
}

export async function readAll(stream: AsyncIterable<Buffer | Uint8Array>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
