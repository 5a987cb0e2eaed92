-- Why this migration: a 100-epoch report spent about a fifth of the API process's CPU turning its points into three
-- 400-element array literals (every key and every epoch repeated per point, each epoch's metrics JSON escaped once
-- more inside a text[] literal), and about a fifth of the report function's time in Postgres aggregating those 400
-- points into 4 summaries (tunelab_fold_metric_points). This overload of tunelab_report_epochs takes the report as the
-- API already holds it: the distinct keys once, the values as an epochs x keys matrix (NULL where an epoch lacks a
-- key), each key's summary of this report (aggregated by the API in the same pass), and the events' payloads as one
-- JSON array. The 16-argument version of 0008 stays for an API process of the previous release still running against
-- this database during an upgrade; no code of this release calls it.
--
-- Same contract as 0005/0008: returns the run's last event seq, or NULL when the run is not active and held by this
-- worker under this token (nothing written); SQLSTATE 22023 for an epoch above the run's configured count (nothing
-- written); rollups only for a run configured for more than 2,048 epochs; an epoch is fresh when every one of its
-- points was new; one EPOCH event per fresh epoch with dense seqs; one NOTIFY on p_channel at commit; a plain INSERT
-- that meets a point written since the probe fails with unique_violation (the caller sends the report again).
--
--   p_keys       distinct metric names (K), p_lower: per key, whether its best value is the lowest
--   p_epochs     distinct epochs (N), in the order their events get their seqs
--   p_values     N x K, row-major: epoch i's value of key j at (i - 1) * K + j; NULL where epoch i lacks key j
--   p_summaries  K x 7, row-major, key j's points in this report: last, last_step, min, max, best, best_step, count
--                (best: the lowest value when p_lower[j], else the highest; best_step its lowest step)
--   p_payloads   JSON array of the N EPOCH events' payloads ({"epoch": ..., "metrics": {...}}), in p_epochs' order
CREATE FUNCTION tunelab_report_epochs(
  p_run uuid, p_worker uuid, p_token uuid, p_lease_until timestamptz,
  p_keys text[], p_lower boolean[], p_epochs int[], p_values float8[], p_summaries float8[], p_payloads jsonb,
  p_widths int[], p_at timestamptz, p_at_text text, p_channel text, p_max_payload int
) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_project uuid;
  v_epochs int;
  v_last int;
  v_n int := cardinality(p_epochs);
  v_k int := cardinality(p_keys);
  -- Positions in p_epochs of the fresh epochs, in order.
  v_fresh int[];
  v_payload text;
  v_widths int[];
  v_lower_keys text[];
  v_point_keys text[];
  v_point_steps int[];
  v_point_values float8[];
  -- No point of this report's run is stored at or after its first epoch (the rule: epochs arrive in order).
  v_plain boolean;
BEGIN
  IF cardinality(p_values) <> v_n * v_k OR cardinality(p_summaries) <> v_k * 7 OR cardinality(p_lower) <> v_k
     OR jsonb_array_length(p_payloads) <> v_n THEN
    RAISE EXCEPTION 'tunelab_report_epochs: % epochs and % keys need % values, % summary cells, % lower flags and % payloads (got %, %, %, %)',
      v_n, v_k, v_n * v_k, v_k * 7, v_k, v_n, cardinality(p_values), cardinality(p_summaries), cardinality(p_lower), jsonb_array_length(p_payloads);
  END IF;
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
  -- Rollups only for a run configured for more than 2,048 epochs (REPORT_ROLLUPS_ABOVE_EPOCHS in schema/metrics.ts).
  v_widths := CASE WHEN v_epochs > 2048 THEN p_widths ELSE '{}'::int[] END;

  -- Is any point stored at or after this report's first epoch? One index probe per key, for the key's last step.
  v_plain := NOT EXISTS (
    SELECT 1
    FROM unnest(p_keys) AS keys(k)
    CROSS JOIN LATERAL (SELECT mp.step FROM metric_points AS mp WHERE mp.run_id = p_run AND mp.key = keys.k
                        ORDER BY mp.step DESC LIMIT 1) AS stored
    WHERE stored.step >= (SELECT min(e) FROM unnest(p_epochs) AS e)
  );
  -- Every epoch is fresh, the rule; the upsert path below keeps only those whose points were all new.
  v_fresh := ARRAY(SELECT generate_series(1, v_n));
  IF v_plain AND cardinality(v_widths) = 0 THEN
    -- The common case: every point is new, written straight from the matrix, and this report's summaries, as the API
    -- aggregated them, merged into the stored ones (the same merge as tunelab_fold_metric_points).
    INSERT INTO metric_points (run_id, key, step, value)
    SELECT p_run, p_keys[((v.i - 1) % v_k + 1)::int], p_epochs[((v.i - 1) / v_k + 1)::int], v.value
    FROM unnest(p_values) WITH ORDINALITY AS v(value, i)
    WHERE v.value IS NOT NULL;
    INSERT INTO metric_summaries AS s (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
    SELECT p_run, p_keys[j], p_summaries[o + 1], p_summaries[o + 2]::int, p_summaries[o + 3], p_summaries[o + 4],
           p_summaries[o + 5], p_summaries[o + 6]::int, p_summaries[o + 7]::int, p_lower[j]
    FROM generate_series(1, v_k) AS j, LATERAL (SELECT (j - 1) * 7) AS x(o)
    ON CONFLICT (run_id, key) DO UPDATE SET
      last = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last ELSE s.last END,
      last_step = GREATEST(excluded.last_step, s.last_step),
      min = LEAST(excluded.min, s.min),
      max = GREATEST(excluded.max, s.max),
      best = CASE WHEN s.lower_is_better THEN LEAST(excluded.best, s.best) ELSE GREATEST(excluded.best, s.best) END,
      best_step = CASE WHEN (s.lower_is_better AND excluded.best < s.best) OR (NOT s.lower_is_better AND excluded.best > s.best)
                       THEN excluded.best_step ELSE s.best_step END,
      count = s.count + excluded.count,
      updated_at = now();
  ELSE
    -- A long run (rollups), a retried report (its answer was lost) or one overlapping stored points: the points as
    -- arrays for the fold, which aggregates the summaries (and rollups) from the points it wrote.
    SELECT coalesce(array_agg(p_keys[((v.i - 1) % v_k + 1)::int] ORDER BY v.i), '{}'),
           coalesce(array_agg(p_epochs[((v.i - 1) / v_k + 1)::int] ORDER BY v.i), '{}'),
           coalesce(array_agg(v.value ORDER BY v.i), '{}')
    INTO v_point_keys, v_point_steps, v_point_values
    FROM unnest(p_values) WITH ORDINALITY AS v(value, i)
    WHERE v.value IS NOT NULL;
    v_lower_keys := ARRAY(SELECT t.k FROM unnest(p_keys, p_lower) AS t(k, l) WHERE t.l);
    IF v_plain THEN
      INSERT INTO metric_points (run_id, key, step, value)
      SELECT p_run, t.k, t.s, t.v FROM unnest(v_point_keys, v_point_steps, v_point_values) AS t(k, s, v);
      PERFORM tunelab_fold_metric_points(array_fill(p_run, ARRAY[cardinality(v_point_keys)]), v_point_keys, v_point_steps,
                                         v_point_values, NULL, v_lower_keys, v_widths);
    ELSE
      -- Keep what is stored; an epoch is fresh when every one of its points was new.
      WITH fresh_points AS (
        SELECT p.step, count(*) AS n
        FROM tunelab_record_metric_points(array_fill(p_run, ARRAY[cardinality(v_point_keys)]), v_point_keys, v_point_steps,
                                          v_point_values, v_lower_keys, v_widths, true) AS p
        GROUP BY p.step
      ), sizes AS (
        SELECT e.epoch, e.ord::int AS ord,
               (SELECT count(x) FROM unnest(p_values[(e.ord - 1) * v_k + 1 : e.ord * v_k]) AS x) AS size
        FROM unnest(p_epochs) WITH ORDINALITY AS e(epoch, ord)
      )
      SELECT coalesce(array_agg(s.ord ORDER BY s.ord), '{}') INTO v_fresh
      FROM sizes AS s
      LEFT JOIN fresh_points AS f ON f.step = s.epoch
      WHERE s.size = coalesce(f.n, 0);
      IF cardinality(v_fresh) < v_n THEN
        v_last := v_last - v_n + cardinality(v_fresh);
        v_n := cardinality(v_fresh);
        UPDATE runs SET last_event_seq = v_last WHERE id = p_run;
      END IF;
      IF v_n = 0 THEN
        RETURN v_last;
      END IF;
    END IF;
  END IF;

  -- The events, with the payloads as the API built them, and the NOTIFY payload built from the rows just stored. An
  -- EPOCH event takes at least ~130 bytes of JSON (run id, seq, type, epoch, time): past p_max_payload / 120 events the
  -- payload would be dropped anyway, so the FILTER skips building it.
  WITH ins AS (
    INSERT INTO run_events (run_id, seq, type, payload, at)
    SELECT p_run, v_last - v_n + f.ord, 'EPOCH', p_payloads -> (f.i - 1), p_at
    FROM unnest(v_fresh) WITH ORDINALITY AS f(i, ord)
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
