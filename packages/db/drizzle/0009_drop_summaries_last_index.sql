-- Why this migration: no query reads metric_summaries by (key, last); the runs page filters and orders by `best`
-- (metric_summaries_key_best_idx). `last` changes with every report, so this index cost one index entry per summary
-- per report, and WAL with it (bench: report-function, WAL bytes per call).
DROP INDEX "metric_summaries_key_last_idx";
