ALTER TABLE "metric_rollups" DROP CONSTRAINT "metric_rollups_run_id_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "run_events" DROP CONSTRAINT "run_events_run_id_runs_id_fk";
--> statement-breakpoint
-- Why this migration: measured with one Postgres backend per call (bench/README.md, "metric-ingestion"), a 100-epoch
-- report cost 2.6x the raw INSERT of its 400 points. Where the difference went, and what replaces it:
-- * per-row foreign-key checks on metric_rollups and run_events (an SPI query per row): dropped above. Every writer of
--   those tables holds the run's row lock, so the run exists; the trigger below keeps ON DELETE CASCADE's effect;
-- * INSERT ... ON CONFLICT ... RETURNING for points that are nearly always new: a report first looks for a stored point
--   at or after its first step; if there is none (the rule: epochs arrive in order), a plain INSERT;
-- * every rollup width aggregated from the points: now the finest width from the points, the coarser ones from it
--   (the widths nest: each is a multiple of the first, see METRIC_ROLLUP_WIDTHS);
-- * a fresh-epoch test that scanned the new points once per epoch (quadratic): now one grouped join, and skipped when
--   every point was new;
-- * two updates of the run row, the first changing the indexed lease column: now one update, which moves the lease only
--   when it gains more than a tenth of its length, so it is nearly always a HOT update.
CREATE OR REPLACE FUNCTION tunelab_delete_run_children() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM metric_rollups WHERE run_id IN (SELECT id FROM deleted_runs);
  DELETE FROM run_events WHERE run_id IN (SELECT id FROM deleted_runs);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER runs_delete_children AFTER DELETE ON runs REFERENCING OLD TABLE AS deleted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION tunelab_delete_run_children();
--> statement-breakpoint
-- tunelab_fold_metric_points: the (run, key) summaries and the rollups of every width in p_widths for points just
-- written. p_new says which points were new (they add to count); NULL means all of them.
CREATE OR REPLACE FUNCTION tunelab_fold_metric_points(
  p_runs uuid[], p_keys text[], p_steps int[], p_values float8[], p_new boolean[], p_lower_keys text[], p_widths int[]
) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  WITH pts AS MATERIALIZED (
    SELECT * FROM unnest(p_runs, p_keys, p_steps, p_values, coalesce(p_new, array_fill(true, ARRAY[cardinality(p_keys)])))
      AS t(run_id, key, step, value, is_new)
  ), summaries AS (
    -- max(ARRAY[a, b]) compares element by element: the b of the greatest a, without sorting each group.
    INSERT INTO metric_summaries AS s (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
    SELECT pts.run_id, pts.key, (max(ARRAY[pts.step::float8, pts.value]))[2], max(pts.step), min(pts.value), max(pts.value),
           CASE WHEN pts.key = ANY(p_lower_keys) THEN min(pts.value) ELSE max(pts.value) END,
           CASE WHEN pts.key = ANY(p_lower_keys) THEN (min(ARRAY[pts.value, pts.step::float8]))[2]::int
                ELSE (-(max(ARRAY[pts.value, -pts.step::float8]))[2])::int END,
           (count(*) FILTER (WHERE pts.is_new))::int, pts.key = ANY(p_lower_keys)
    FROM pts
    GROUP BY pts.run_id, pts.key
    ON CONFLICT (run_id, key) DO UPDATE SET
      last = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last ELSE s.last END,
      last_step = GREATEST(excluded.last_step, s.last_step),
      min = LEAST(excluded.min, s.min),
      max = GREATEST(excluded.max, s.max),
      best = CASE WHEN s.lower_is_better THEN LEAST(excluded.best, s.best) ELSE GREATEST(excluded.best, s.best) END,
      best_step = CASE WHEN (s.lower_is_better AND excluded.best < s.best) OR (NOT s.lower_is_better AND excluded.best > s.best)
                       THEN excluded.best_step ELSE s.best_step END,
      count = s.count + excluded.count,
      updated_at = now()
  ), finest AS (
    SELECT pts.run_id, pts.key, pts.step / p_widths[1] AS bucket, max(pts.step) AS last_step,
           (max(ARRAY[pts.step::float8, pts.value]))[2] AS last, min(pts.value) AS min, max(pts.value) AS max,
           (count(*) FILTER (WHERE pts.is_new))::int AS count
    FROM pts
    GROUP BY pts.run_id, pts.key, pts.step / p_widths[1]
  )
  INSERT INTO metric_rollups AS r (run_id, key, width, bucket, last_step, last, min, max, count)
  SELECT f.run_id, f.key, w.width, f.bucket / (w.width / p_widths[1]), max(f.last_step),
         (max(ARRAY[f.last_step::float8, f.last]))[2], min(f.min), max(f.max), sum(f.count)::int
  FROM finest AS f CROSS JOIN unnest(p_widths) AS w(width)
  GROUP BY f.run_id, f.key, w.width, f.bucket / (w.width / p_widths[1])
  ON CONFLICT (run_id, key, width, bucket) DO UPDATE SET
    last = CASE WHEN excluded.last_step >= r.last_step THEN excluded.last ELSE r.last END,
    last_step = GREATEST(excluded.last_step, r.last_step),
    min = LEAST(excluded.min, r.min),
    max = GREATEST(excluded.max, r.max),
    count = r.count + excluded.count;
END
$fn$;
--> statement-breakpoint
-- tunelab_record_metric_points: as in 0002 (upsert, or keep existing points with p_ignore_existing; returns the points
-- that were new), folding through tunelab_fold_metric_points.
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
BEGIN
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
--> statement-breakpoint
-- tunelab_report_epochs: same contract as in 0002 (returns the run's last event seq, or NULL when the run is not held
-- by this worker under this token; SQLSTATE 22023 for an epoch above the run's configured count; nothing written in
-- either case). An epoch is fresh when every one of its points was new; one EPOCH event per fresh epoch with dense
-- seqs, and one NOTIFY on p_channel (sent at commit) in the format of the API's RunNotification, without its events
-- when that would exceed p_max_payload. When a plain INSERT meets a point written since the check (a concurrent
-- writer of the same run's metrics), the statement fails with unique_violation and nothing is written: the caller
-- sends the report again, and the check then finds the point.
CREATE OR REPLACE FUNCTION tunelab_report_epochs(
  p_run uuid, p_worker uuid, p_token uuid, p_lease_until timestamptz,
  p_keys text[], p_steps int[], p_values float8[], p_lower_keys text[], p_widths int[],
  p_epochs int[], p_epoch_sizes int[], p_metrics jsonb[],
  p_at timestamptz, p_at_text text, p_channel text, p_max_payload int
) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_project uuid;
  v_epochs int;
  v_last int;
  v_n int := cardinality(p_epochs);
  v_fresh int[];
  v_payload text;
BEGIN
  -- Lock the run (held by p_worker, active, the worker registered with p_token), and count every epoch as fresh, the
  -- rule; a report with stored points corrects the seq below.
  UPDATE runs AS r SET
    last_event_seq = r.last_event_seq + v_n,
    lease_expires_at = CASE WHEN r.lease_expires_at IS NULL OR p_lease_until - r.lease_expires_at > (p_lease_until - now()) / 10
                            THEN coalesce(p_lease_until, r.lease_expires_at) ELSE r.lease_expires_at END
  WHERE r.id = p_run AND r.worker_id = p_worker AND r.status IN ('PREPARING', 'RUNNING')
    AND EXISTS (SELECT 1 FROM workers AS w WHERE w.id = p_worker AND w.token_id = p_token)
  RETURNING r.project_id, r.last_event_seq, r.epochs INTO v_project, v_last, v_epochs;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- A run trains at most its configured epochs (early stopping only ends it sooner).
  IF (SELECT max(e) FROM unnest(p_epochs) AS e) > v_epochs THEN
    RAISE EXCEPTION 'epoch % is above the % epochs this run is configured for', (SELECT max(e) FROM unnest(p_epochs) AS e), v_epochs
      USING ERRCODE = '22023';
  END IF;

  -- Is any point stored at or after this report's first step? One index probe per key, for the key's last step.
  IF NOT EXISTS (
    SELECT 1
    FROM (SELECT DISTINCT k FROM unnest(p_keys) AS k) AS keys
    CROSS JOIN LATERAL (SELECT mp.step FROM metric_points AS mp WHERE mp.run_id = p_run AND mp.key = keys.k
                        ORDER BY mp.step DESC LIMIT 1) AS stored
    WHERE stored.step >= (SELECT min(s) FROM unnest(p_steps) AS s)
  ) THEN
    INSERT INTO metric_points (run_id, key, step, value) SELECT p_run, t.k, t.s, t.v FROM unnest(p_keys, p_steps, p_values) AS t(k, s, v);
    PERFORM tunelab_fold_metric_points(array_fill(p_run, ARRAY[cardinality(p_keys)]), p_keys, p_steps, p_values, NULL, p_lower_keys, p_widths);
    v_fresh := p_epochs;
  ELSE
    -- A retried report (its answer was lost) or one overlapping stored points: keep what is stored.
    WITH fresh_points AS (
      SELECT p.step, count(*) AS n
      FROM tunelab_record_metric_points(array_fill(p_run, ARRAY[cardinality(p_keys)]), p_keys, p_steps, p_values, p_lower_keys, p_widths, true) AS p
      GROUP BY p.step
    )
    SELECT coalesce(array_agg(e.epoch ORDER BY e.ord), '{}') INTO v_fresh
    FROM unnest(p_epochs, p_epoch_sizes) WITH ORDINALITY AS e(epoch, size, ord)
    LEFT JOIN fresh_points AS f ON f.step = e.epoch
    WHERE e.size = coalesce(f.n, 0);
    IF cardinality(v_fresh) < v_n THEN
      v_last := v_last - v_n + cardinality(v_fresh);
      v_n := cardinality(v_fresh);
      UPDATE runs SET last_event_seq = v_last WHERE id = p_run;
    END IF;
    IF v_n = 0 THEN
      RETURN v_last;
    END IF;
  END IF;

  -- The events, and the NOTIFY payload built from the rows just stored. An EPOCH event takes at least ~130 bytes of
  -- JSON (run id, seq, type, epoch, time): past p_max_payload / 120 events the payload would be dropped anyway, so
  -- the FILTER skips building it.
  WITH ins AS (
    INSERT INTO run_events (run_id, seq, type, payload, at)
    SELECT p_run, v_last - v_n + f.ord, 'EPOCH', jsonb_build_object('epoch', f.epoch, 'metrics', m.metrics), p_at
    FROM unnest(v_fresh) WITH ORDINALITY AS f(epoch, ord)
    JOIN unnest(p_epochs, p_metrics) AS m(epoch, metrics) ON m.epoch = f.epoch
    RETURNING seq, payload
  )
  SELECT json_build_object('runId', p_run, 'projectId', v_project, 'lastSeq', v_last, 'updated', true,
           'events', json_agg(json_build_object('runId', p_run, 'seq', ins.seq, 'type', 'EPOCH', 'payload', ins.payload,
                                                'at', p_at_text) ORDER BY ins.seq) FILTER (WHERE v_n * 120 <= p_max_payload))::text
  INTO v_payload
  FROM ins;
  IF v_n * 120 > p_max_payload OR octet_length(v_payload) > p_max_payload THEN
    v_payload := json_build_object('runId', p_run, 'projectId', v_project, 'lastSeq', v_last, 'updated', true)::text;
  END IF;
  PERFORM pg_notify(p_channel, v_payload);
  RETURN v_last;
END
$fn$;
