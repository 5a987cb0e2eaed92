-- Metric writes and the worker's epoch report as database functions, so a report is ONE round trip.
-- On this kind of machine every socket write costs ~150 us of CPU on each side; the report used to be six round trips
-- (BEGIN, run lock, points, events, NOTIFY, COMMIT). PL/pgSQL also keeps its plans across calls in a session, where
-- the same SQL sent as unnamed statements was planned on every report. Each statement inside a function still gets
-- its own snapshot (READ COMMITTED), so the run lock is taken before anything is read or written, as before.
--
-- tunelab_record_metric_points: what recordMetricPoints (packages/db/src/writes/metrics.ts) documents. Points are
-- upserted (p_ignore_existing = false) or left as they are when they exist (true); the (run, key) summaries and the
-- rollups of every width in p_widths follow in the same statement; returns the points that were new.
CREATE OR REPLACE FUNCTION tunelab_record_metric_points(
  p_runs uuid[], p_keys text[], p_steps int[], p_values float8[],
  p_lower_keys text[], p_widths int[], p_ignore_existing boolean
) RETURNS TABLE (run_id uuid, key text, step int)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH ins AS (
    INSERT INTO metric_points AS mp (run_id, key, step, value)
    SELECT * FROM unnest(p_runs, p_keys, p_steps, p_values)
    -- With p_ignore_existing the WHERE is false: an existing point is neither changed nor returned (DO NOTHING).
    ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, recorded_at = now() WHERE NOT p_ignore_existing
    RETURNING mp.run_id, mp.key, mp.step, mp.value, (mp.xmax = 0) AS inserted
  ), summaries AS (
    -- max(ARRAY[a, b]) compares element by element: the b of the greatest a, without sorting each group.
    INSERT INTO metric_summaries AS s (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
    SELECT ins.run_id, ins.key, (max(ARRAY[ins.step::float8, ins.value]))[2], max(ins.step), min(ins.value), max(ins.value),
           CASE WHEN bool_or(ins.key = ANY(p_lower_keys)) THEN min(ins.value) ELSE max(ins.value) END,
           CASE WHEN bool_or(ins.key = ANY(p_lower_keys)) THEN (min(ARRAY[ins.value, ins.step::float8]))[2]::int
                ELSE (-(max(ARRAY[ins.value, -ins.step::float8]))[2])::int END,
           (count(*) FILTER (WHERE ins.inserted))::int, bool_or(ins.key = ANY(p_lower_keys))
    FROM ins
    GROUP BY ins.run_id, ins.key
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
  ), rollups AS (
    INSERT INTO metric_rollups AS r (run_id, key, width, bucket, last_step, last, min, max, count)
    SELECT ins.run_id, ins.key, lv.width, ins.step / lv.width, max(ins.step), (max(ARRAY[ins.step::float8, ins.value]))[2],
           min(ins.value), max(ins.value), (count(*) FILTER (WHERE ins.inserted))::int
    FROM ins CROSS JOIN unnest(p_widths) AS lv(width)
    GROUP BY ins.run_id, ins.key, lv.width, ins.step / lv.width
    ON CONFLICT (run_id, key, width, bucket) DO UPDATE SET
      last = CASE WHEN excluded.last_step >= r.last_step THEN excluded.last ELSE r.last END,
      last_step = GREATEST(excluded.last_step, r.last_step),
      min = LEAST(excluded.min, r.min),
      max = GREATEST(excluded.max, r.max),
      count = r.count + excluded.count
  )
  SELECT ins.run_id, ins.key, ins.step FROM ins WHERE ins.inserted;
END
$fn$;
--> statement-breakpoint
-- tunelab_report_epochs: the worker's reportEpochs for a run it holds. Returns the run's last event seq, or NULL when
-- the run is not held by this worker under this token (nothing written; the caller finds out which check failed).
-- 1. Lock the run and extend its lease (only if held by p_worker, active, and the worker registered with p_token);
--    an epoch above the run's configured count raises SQLSTATE 22023 (nothing written).
-- 2. Write the points, keeping existing ones (a retried report is a no-op).
-- 3. An epoch is fresh when every one of its points was new (an epoch without points counts as fresh): append one
--    EPOCH event per fresh epoch with dense seqs from runs.last_event_seq, and queue one NOTIFY on p_channel (sent at
--    commit) in the format of the API's RunNotification; the events are left out when that exceeds p_max_payload.
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
  v_new_steps int[];
  v_fresh int[];
  v_n int;
  v_payload text;
BEGIN
  UPDATE runs AS r SET lease_expires_at = coalesce(p_lease_until, r.lease_expires_at)
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

  SELECT coalesce(array_agg(p.step), '{}') INTO v_new_steps
  FROM tunelab_record_metric_points(array_fill(p_run, ARRAY[cardinality(p_keys)]), p_keys, p_steps, p_values,
                                    p_lower_keys, p_widths, true) AS p;

  SELECT coalesce(array_agg(e.epoch ORDER BY e.ord), '{}') INTO v_fresh
  FROM unnest(p_epochs, p_epoch_sizes) WITH ORDINALITY AS e(epoch, size, ord)
  WHERE e.size = (SELECT count(*) FROM unnest(v_new_steps) AS s(step) WHERE s.step = e.epoch);
  v_n := cardinality(v_fresh);
  IF v_n = 0 THEN
    RETURN v_last;
  END IF;

  UPDATE runs SET last_event_seq = last_event_seq + v_n WHERE id = p_run RETURNING last_event_seq INTO v_last;
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
