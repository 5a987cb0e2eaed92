-- Why this migration: a metrics read first asks how long each series is, from the coarsest rollups (width 4096, the
-- last of METRIC_ROLLUP_WIDTHS). The primary key (run_id, key, width, bucket) has key between run_id and width, so for
-- many runs the planner scanned the whole table instead: 30 ms for 50 runs over 100 runs of 100,000 points, and
-- growing with every run stored (bench: history-scale). This partial index holds the coarsest level only (one row per
-- 4,096 steps of a series), so that question costs an index probe per series whatever the table holds.
CREATE INDEX "metric_rollups_coarsest_idx" ON "metric_rollups" USING btree ("run_id","key") WHERE "metric_rollups"."width" = 4096;
