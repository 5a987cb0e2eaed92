-- Why this migration: a worker's report maintained rollups (5 widths x every key) for every run, though a run the API
-- launches has at most 1,000 epochs and the metrics reader reads such a series from its points (bench:
-- metric-ingestion, 4 alternating runs each: API points/s at 100 epochs per report 135k -> 153k, at 10 epochs 35k ->
-- 41k). tunelab_report_epochs now writes rollups only for a run configured for more than 2,048 epochs; the reader
-- trusts a series' rollups only where their count matches its summary's, so the rollups of a run reported before this
-- migration and finished after it (incomplete) are not used. tunelab_fold_metric_points skips the rollups when given
-- no widths.
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
    -- No widths: summaries only (a report for a run short enough to be read from its points, see tunelab_report_epochs).
    WHERE cardinality(p_widths) > 0
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
-- tunelab_report_epochs: as in 0005, with rollups only for runs configured for more than 2,048 epochs.
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
  v_widths int[];
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
  -- Rollups only for a run configured for more than 2,048 epochs (REPORT_ROLLUPS_ABOVE_EPOCHS in schema/metrics.ts):
  -- a shorter series is read from its points, and the API caps runs at 1,000 epochs.
  v_widths := CASE WHEN v_epochs > 2048 THEN p_widths ELSE '{}'::int[] END;

  -- Is any point stored at or after this report's first step? One index probe per key, for the key's last step.
  IF NOT EXISTS (
    SELECT 1
    FROM (SELECT DISTINCT k FROM unnest(p_keys) AS k) AS keys
    CROSS JOIN LATERAL (SELECT mp.step FROM metric_points AS mp WHERE mp.run_id = p_run AND mp.key = keys.k
                        ORDER BY mp.step DESC LIMIT 1) AS stored
    WHERE stored.step >= (SELECT min(s) FROM unnest(p_steps) AS s)
  ) THEN
    INSERT INTO metric_points (run_id, key, step, value) SELECT p_run, t.k, t.s, t.v FROM unnest(p_keys, p_steps, p_values) AS t(k, s, v);
    PERFORM tunelab_fold_metric_points(array_fill(p_run, ARRAY[cardinality(p_keys)]), p_keys, p_steps, p_values, NULL, p_lower_keys, v_widths);
    v_fresh := p_epochs;
  ELSE
    -- A retried report (its answer was lost) or one overlapping stored points: keep what is stored.
    WITH fresh_points AS (
      SELECT p.step, count(*) AS n
      FROM tunelab_record_metric_points(array_fill(p_run, ARRAY[cardinality(p_keys)]), p_keys, p_steps, p_values, p_lower_keys, v_widths, true) AS p
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
