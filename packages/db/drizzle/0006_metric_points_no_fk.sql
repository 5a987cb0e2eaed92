ALTER TABLE "metric_points" DROP CONSTRAINT "metric_points_run_id_runs_id_fk";
--> statement-breakpoint
-- Why this migration: the foreign key's check ran once per inserted point (an SPI query taking a FOR KEY SHARE lock
-- on the run, per row). Measured here with Postgres 15: inserting 400 points (a 100-epoch report) took 7.7-9.1 ms
-- with it and 2.8-3.0 ms without. What replaces it, as migration 0005 did for metric_rollups and run_events:
-- * tunelab_report_epochs already locks the run (its UPDATE) before it writes points: nothing to add;
-- * tunelab_record_metric_points checks and locks each distinct run once per call (FOR KEY SHARE, as the foreign key
--   did, so a concurrent delete of the run waits), and raises foreign_key_violation for a run that does not exist;
-- * the statement trigger on runs deletes a deleted run's points, as ON DELETE CASCADE did.
CREATE OR REPLACE FUNCTION tunelab_delete_run_children() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM metric_points WHERE run_id IN (SELECT id FROM deleted_runs);
  DELETE FROM metric_rollups WHERE run_id IN (SELECT id FROM deleted_runs);
  DELETE FROM run_events WHERE run_id IN (SELECT id FROM deleted_runs);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- tunelab_record_metric_points: as in 0005, after checking (and locking) every distinct run once.
CREATE OR REPLACE FUNCTION tunelab_record_metric_points(
  p_runs uuid[], p_keys text[], p_steps int[], p_values float8[],
  p_lower_keys text[], p_widths int[], p_ignore_existing boolean
) RETURNS TABLE (run_id uuid, key text, step int)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_runs uuid[];
  v_keys text[];
  v_steps int[];
  v_values float8[];
  v_new boolean[];
  v_missing uuid;
BEGIN
  WITH wanted AS (SELECT DISTINCT r AS id FROM unnest(p_runs) AS r),
       locked AS (SELECT runs.id FROM runs WHERE runs.id IN (SELECT wanted.id FROM wanted) FOR KEY SHARE)
  SELECT wanted.id INTO v_missing FROM wanted WHERE wanted.id IS NULL OR wanted.id NOT IN (SELECT locked.id FROM locked) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'metric points for run %, which does not exist', coalesce(v_missing::text, 'NULL')
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  WITH ins AS (
    INSERT INTO metric_points AS mp (run_id, key, step, value)
    SELECT * FROM unnest(p_runs, p_keys, p_steps, p_values)
    -- With p_ignore_existing the WHERE is false: an existing point is neither changed nor returned (DO NOTHING).
    ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, recorded_at = now() WHERE NOT p_ignore_existing
    RETURNING mp.run_id, mp.key, mp.step, mp.value, (mp.xmax = 0) AS inserted
  )
  SELECT array_agg(ins.run_id), array_agg(ins.key), array_agg(ins.step), array_agg(ins.value), array_agg(ins.inserted)
  INTO v_runs, v_keys, v_steps, v_values, v_new
  FROM ins;
  IF v_runs IS NULL THEN
    RETURN;
  END IF;
  PERFORM tunelab_fold_metric_points(v_runs, v_keys, v_steps, v_values, v_new, p_lower_keys, p_widths);
  RETURN QUERY SELECT t.r, t.k, t.s FROM unnest(v_runs, v_keys, v_steps, v_new) AS t(r, k, s, n) WHERE t.n;
END
$fn$;
