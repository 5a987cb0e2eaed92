import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { type AnyPgColumn, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { artifacts } from "./artifacts";
import { createdAt, id } from "./columns";
import { modelKind, taskType } from "./enums";
import { runs } from "./runs";

/** One layer of a tfjs LayersModel as the registry shows it. */
export interface LayerInfo {
  index: number;
  name: string;
  className: string;
  /** `null` entries stand for the batch dimension. */
  outputShape: (number | null)[] | null;
  params: number;
}

/**
 * The model registry: base models (pretrained, registered or imported) and fine-tuned models produced by runs.
 * Versions are immutable; lineage is `parent` (the base a fine-tuned model came from) and `source run`.
 */
export const models = pgTable(
  "models",
  {
    id: id(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    kind: modelKind("kind").notNull(),
    task: taskType("task").notNull(),
    layers: jsonb("layers").$type<LayerInfo[]>().notNull(),
    classNames: text("class_names").array().notNull(),
    totalParams: integer("total_params").notNull(),
    /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
    inputShape: integer("input_shape").array().notNull(),
    parentId: uuid("parent_id").references((): AnyPgColumn => models.id, { onDelete: "restrict" }),
    sourceRunId: uuid("source_run_id").references((): AnyPgColumn => runs.id, { onDelete: "restrict" }),
    artifactId: uuid("artifact_id")
      .notNull()
      .references(() => artifacts.id, { onDelete: "restrict" }),
    /** How it was made (pretraining recipe, import URL) and the preprocessing needed to use it (vocabulary, scaling). */
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("models_name_version_key").on(t.name, t.version),
    index("models_kind_task_idx").on(t.kind, t.task),
    index("models_parent_idx").on(t.parentId),
    index("models_source_run_idx").on(t.sourceRunId),
    check("models_version_positive", sql`${t.version} >= 1`),
    check(
      "models_lineage_matches_kind",
      sql`(${t.kind} = 'BASE' AND ${t.sourceRunId} IS NULL) OR (${t.kind} = 'FINE_TUNED' AND ${t.sourceRunId} IS NOT NULL)`,
    ),
  ],
);

export type ModelRow = InferSelectModel<typeof models>;
export type NewModelRow = InferInsertModel<typeof models>;
