import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { check, doublePrecision, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { runs } from "./runs";

export interface ClassMetricsRow {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** A run's evaluation on a held-out split; one per (run, split), re-reporting replaces it. */
export const evaluations = pgTable(
  "evaluations",
  {
    id: id(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    split: text("split").notNull(),
    numExamples: integer("num_examples").notNull(),
    loss: doublePrecision("loss").notNull(),
    accuracy: doublePrecision("accuracy").notNull(),
    macroF1: doublePrecision("macro_f1").notNull(),
    classNames: text("class_names").array().notNull(),
    perClass: jsonb("per_class").$type<ClassMetricsRow[]>().notNull(),
    /** Rows = true class, columns = predicted class, in `classNames` order. */
    confusionMatrix: jsonb("confusion_matrix").$type<number[][]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("evaluations_run_split_key").on(t.runId, t.split),
    check("evaluations_accuracy_range", sql`${t.accuracy} >= 0 AND ${t.accuracy} <= 1`),
    check("evaluations_num_examples_nonnegative", sql`${t.numExamples} >= 0`),
  ],
);

export type EvaluationRow = InferSelectModel<typeof evaluations>;
export type NewEvaluationRow = InferInsertModel<typeof evaluations>;
