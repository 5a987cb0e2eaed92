import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import { boolean, doublePrecision, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { tstz } from "./columns";
import { runs } from "./runs";

/**
 * Epoch metric points. The primary key (run, key, step) makes a re-sent epoch an upsert, never a duplicate.
 * Points belong to their run and go with it.
 */
export const metricPoints = pgTable(
  "metric_points",
  {
    // No foreign key (migration 0006): its check ran once per inserted row, and cost more than the insert itself in a
    // 400-point report. The writers (tunelab_report_epochs, tunelab_record_metric_points) check and lock the run once
    // per statement instead, and a statement trigger on runs deletes a deleted run's points.
    runId: uuid("run_id").notNull(),
    key: text("key").notNull(),
    step: integer("step").notNull(),
    value: doublePrecision("value").notNull(),
    recordedAt: tstz("recorded_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "metric_points_pkey", columns: [t.runId, t.key, t.step] })],
);

/**
 * One row per (run, key) kept up to date at write time, so list/sort/filter queries over thousands of runs read a
 * summary instead of scanning points. `best` is the minimum for loss-like keys and the maximum otherwise.
 */
export const metricSummaries = pgTable(
  "metric_summaries",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    last: doublePrecision("last").notNull(),
    lastStep: integer("last_step").notNull(),
    min: doublePrecision("min").notNull(),
    max: doublePrecision("max").notNull(),
    best: doublePrecision("best").notNull(),
    bestStep: integer("best_step").notNull(),
    count: integer("count").notNull(),
    /** Direction of "best" for this key (see isLowerBetter), stored so SQL can update `best` without knowing keys. */
    lowerIsBetter: boolean("lower_is_better").notNull(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "metric_summaries_pkey", columns: [t.runId, t.key] }),
    // Filters and the metric order of the runs page use `best`. No index on `last`: it changes with every report, so
    // one would cost an index entry per summary per report and keep those updates from ever being HOT (migration 0009).
    index("metric_summaries_key_best_idx").on(t.key, t.best, t.runId),
  ],
);

/**
 * Step widths of the metric rollup levels. Every point is counted in one bucket per width (bucket = floor(step / width)),
 * so a downsampled read picks the finest level whose bucket count fits and merges adjacent buckets if needed.
 */
export const METRIC_ROLLUP_WIDTHS = [16, 64, 256, 1024, 4096] as const;
/** The coarsest rollup width: the level a read asks first how long each series is (see metric_rollups_coarsest_idx). */
export const COARSEST_ROLLUP_WIDTH: number = METRIC_ROLLUP_WIDTHS[METRIC_ROLLUP_WIDTHS.length - 1]!;

/**
 * A worker's reports keep rollups only for a run configured for more epochs than this (tunelab_report_epochs,
 * migrations 0008 and 0010, holds the same number): a shorter series is cheap to downsample from its points, and the
 * API caps runs at 1,000 epochs, so live reports skip the rollups' cost (about a sixth of a report's database time).
 */
export const REPORT_ROLLUPS_ABOVE_EPOCHS = 2048;

/**
 * Per (run, key, width, bucket): the bucket's last point (highest step), min, max and count, kept in the same
 * transaction as the points (see recordMetricPoints), so downsampled reads of long runs never scan every point.
 * min/max only ever widen: a spike never disappears, even if a point is later re-sent with another value.
 */
export const metricRollups = pgTable(
  "metric_rollups",
  {
    // No foreign key: its per-row check cost about as much as the rollup upsert itself, and every writer holds the
    // run's row lock anyway. A statement trigger on runs deletes a deleted run's rollups (migration 0005).
    runId: uuid("run_id").notNull(),
    key: text("key").notNull(),
    width: integer("width").notNull(),
    bucket: integer("bucket").notNull(),
    lastStep: integer("last_step").notNull(),
    last: doublePrecision("last").notNull(),
    min: doublePrecision("min").notNull(),
    max: doublePrecision("max").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [
    primaryKey({ name: "metric_rollups_pkey", columns: [t.runId, t.key, t.width, t.bucket] }),
    // The coarsest level alone, for a read's first question (how long is each series?): without it, a read of many
    // runs scanned the whole table, as the primary key has key between run_id and width. Changing the widths needs a
    // migration anyway: the rollups must be rebuilt.
    index("metric_rollups_coarsest_idx").on(t.runId, t.key).where(sql`${t.width} = ${sql.raw(String(COARSEST_ROLLUP_WIDTH))}`),
  ],
);

/** Whether a smaller value of this metric is better (loss, error, mse...). */
export function isLowerBetter(key: string): boolean {
  return /(^|_)(loss|error|err|mse|mae|rmse|perplexity)$/i.test(key);
}

export type MetricPointRow = InferSelectModel<typeof metricPoints>;
export type NewMetricPointRow = InferInsertModel<typeof metricPoints>;
export type MetricSummaryRow = InferSelectModel<typeof metricSummaries>;
export type MetricRollupRow = InferSelectModel<typeof metricRollups>;
