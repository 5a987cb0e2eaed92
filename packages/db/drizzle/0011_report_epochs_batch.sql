-- Why this migration: under load, reports from many runs arrive at once, and at 1 or 10 epochs per report most of a
-- report's cost in Postgres is per statement and per transaction (the round trip, the Bind of 15 parameters, the
-- commit, the NOTIFY's signal to the listening backend), not per point. The API now sends the reports that arrive while
-- one is in flight together (ReportQueue, packages/db/src/writes/report-queue.ts), and this function applies them in one
-- statement and one transaction. The common case (each run held by its worker, its epochs in order after the stored
-- ones, no rollups, each run once) is written set-wise: one statement per table for all the runs (run rows, points,
-- summaries, events) and one NOTIFY per run, so each statement's fixed cost is paid once per batch, not once per run.
-- Any other report (a retry, an overlap, a long run with rollups, a run not held, a run twice in the batch) goes
-- through tunelab_report_epochs (0010), unchanged, and gets exactly its answer.
--
-- Each report's arrays are the 0010 function's, concatenated in report order; p_key_counts and p_epoch_counts say where
-- each report's part ends. Report i's values are its p_epoch_counts[i] x p_key_counts[i] matrix; its summaries
-- 7 x p_key_counts[i] cells; its payloads the JSON array p_payloads -> (i - 1). Returns each report's result as
-- tunelab_report_epochs does (the run's last event seq, or NULL when the run is not active and held by that worker
-- under that token). Any error (an epoch above a run's configured count, a concurrent writer's point) aborts the whole
-- statement and writes nothing: the caller then sends each report on its own for its own answer. Callers order the
-- reports by run id, so two batches lock their runs in the same order.
CREATE FUNCTION tunelab_report_epochs_batch(
  p_runs uuid[], p_workers uuid[], p_tokens uuid[], p_lease_until timestamptz[],
  p_key_counts int[], p_keys text[], p_lower boolean[], p_epoch_counts int[], p_epochs int[],
  p_values float8[], p_summaries float8[], p_payloads jsonb,
  p_widths int[], p_at timestamptz, p_at_text text, p_channel text, p_max_payload int
) RETURNS int[]
-- Its statements take arrays and subscripts of them, for which the planner's custom plans (made again on every call
-- until it trusts a generic one) cost more than they save: generic plans measured 0.60 against 0.84 ms per report, 4
-- reports of 1 epoch per statement.
SET plan_cache_mode = force_generic_plan
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count int := cardinality(p_runs);
  v_seqs int[] := array_fill(NULL::int, ARRAY[cardinality(p_runs)]);
  -- Where report i's part starts (0-based) in p_keys / p_lower, p_epochs and p_values.
  v_koff int[] := '{}';
  v_eoff int[] := '{}';
  v_voff int[] := '{}';
  v_k int := 0;
  v_e int := 0;
  v_v int := 0;
  -- The reports written set-wise, by their position in the arguments; their runs' projects and last seqs after.
  v_fast int[];
  v_projects uuid[];
  v_lasts int[];
  v_notes text[];
BEGIN
  IF cardinality(p_workers) <> v_count OR cardinality(p_tokens) <> v_count OR cardinality(p_lease_until) <> v_count
     OR cardinality(p_key_counts) <> v_count OR cardinality(p_epoch_counts) <> v_count
     OR jsonb_array_length(p_payloads) <> v_count
     OR (SELECT coalesce(sum(k), 0) FROM unnest(p_key_counts) AS k) <> cardinality(p_keys)
     OR cardinality(p_lower) <> cardinality(p_keys)
     OR (SELECT coalesce(sum(n), 0) FROM unnest(p_epoch_counts) AS n) <> cardinality(p_epochs)
     OR (SELECT coalesce(sum(c.k * c.n), 0) FROM unnest(p_key_counts, p_epoch_counts) AS c(k, n)) <> cardinality(p_values)
     OR cardinality(p_summaries) <> 7 * cardinality(p_keys) THEN
    RAISE EXCEPTION 'tunelab_report_epochs_batch: the arrays of % reports do not add up (% keys, % epochs, % values, % summary cells, % payload arrays)',
      v_count, cardinality(p_keys), cardinality(p_epochs), cardinality(p_values), cardinality(p_summaries), jsonb_array_length(p_payloads);
  END IF;
  FOR i IN 1 .. v_count LOOP
    v_koff := array_append(v_koff, v_k);
    v_eoff := array_append(v_eoff, v_e);
    v_voff := array_append(v_voff, v_v);
    v_k := v_k + p_key_counts[i];
    v_e := v_e + p_epoch_counts[i];
    v_v := v_v + p_key_counts[i] * p_epoch_counts[i];
  END LOOP;

  -- Every run of the batch locked first, in id order: two batches never wait on each other in a cycle.
  PERFORM 1 FROM runs WHERE id = ANY (p_runs) ORDER BY id FOR UPDATE;

  -- The common case: the run is active and held by this worker under this token, configured for at most 2,048
  -- epochs (no rollups, REPORT_ROLLUPS_ABOVE_EPOCHS) and at least this report's highest, no point stored at or after
  -- the report's first epoch (one index probe per key), and the run only once in the batch.
  SELECT coalesce(array_agg(t.ord ORDER BY t.ord), '{}') INTO v_fast
  FROM unnest(p_runs, p_workers, p_tokens) WITH ORDINALITY AS t(run, worker, token, ord)
  JOIN runs AS r ON r.id = t.run AND r.worker_id = t.worker AND r.status IN ('PREPARING', 'RUNNING') AND r.epochs <= 2048
  WHERE p_epoch_counts[t.ord] > 0
    AND EXISTS (SELECT 1 FROM workers AS w WHERE w.id = t.worker AND w.token_id = t.token)
    AND (SELECT count(*) FROM unnest(p_runs) AS o(run) WHERE o.run = t.run) = 1
    AND (SELECT max(e) FROM unnest(p_epochs[v_eoff[t.ord] + 1 : v_eoff[t.ord] + p_epoch_counts[t.ord]]) AS e) <= r.epochs
    AND NOT EXISTS (
      SELECT 1
      FROM unnest(p_keys[v_koff[t.ord] + 1 : v_koff[t.ord] + p_key_counts[t.ord]]) AS keys(k)
      CROSS JOIN LATERAL (SELECT mp.step FROM metric_points AS mp WHERE mp.run_id = t.run AND mp.key = keys.k
                          ORDER BY mp.step DESC LIMIT 1) AS stored
      WHERE stored.step >= (SELECT min(e) FROM unnest(p_epochs[v_eoff[t.ord] + 1 : v_eoff[t.ord] + p_epoch_counts[t.ord]]) AS e)
    );

  IF cardinality(v_fast) > 0 THEN
    -- The run rows: every epoch fresh (no point was stored at or after them), the lease moved as in 0010.
    WITH upd AS (
      UPDATE runs AS r SET
        last_event_seq = r.last_event_seq + p_epoch_counts[f.ord],
        lease_expires_at = CASE WHEN r.lease_expires_at IS NULL OR p_lease_until[f.ord] - r.lease_expires_at > (p_lease_until[f.ord] - now()) / 10
                                THEN coalesce(p_lease_until[f.ord], r.lease_expires_at) ELSE r.lease_expires_at END
      FROM unnest(v_fast) AS f(ord)
      WHERE r.id = p_runs[f.ord]
      RETURNING f.ord, r.project_id, r.last_event_seq
    )
    SELECT coalesce(array_agg(upd.ord ORDER BY upd.ord), '{}'), array_agg(upd.project_id ORDER BY upd.ord), array_agg(upd.last_event_seq ORDER BY upd.ord)
    INTO v_fast, v_projects, v_lasts
    FROM upd;

    INSERT INTO metric_points (run_id, key, step, value)
    SELECT p_runs[f.ord], p_keys[v_koff[f.ord] + ((v.i - 1) % p_key_counts[f.ord])::int + 1],
           p_epochs[v_eoff[f.ord] + ((v.i - 1) / p_key_counts[f.ord])::int + 1], v.value
    FROM unnest(v_fast) AS f(ord)
    CROSS JOIN LATERAL unnest(p_values[v_voff[f.ord] + 1 : v_voff[f.ord] + p_key_counts[f.ord] * p_epoch_counts[f.ord]]) WITH ORDINALITY AS v(value, i)
    WHERE v.value IS NOT NULL;

    -- Each report's summaries, as the API aggregated them, merged into the stored ones (the same merge as 0010).
    INSERT INTO metric_summaries AS s (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
    SELECT p_runs[f.ord], p_keys[x.j], p_summaries[x.o + 1], p_summaries[x.o + 2]::int, p_summaries[x.o + 3], p_summaries[x.o + 4],
           p_summaries[x.o + 5], p_summaries[x.o + 6]::int, p_summaries[x.o + 7]::int, p_lower[x.j]
    FROM unnest(v_fast) AS f(ord)
    CROSS JOIN LATERAL generate_series(v_koff[f.ord] + 1, v_koff[f.ord] + p_key_counts[f.ord]) AS g(j)
    CROSS JOIN LATERAL (SELECT g.j, (g.j - 1) * 7) AS x(j, o)
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

    -- One EPOCH event per epoch with dense seqs after the run's previous last, and per run the NOTIFY payload of 0010
    -- (its events, unless they would not fit in p_max_payload: then only the run and its last seq).
    WITH ev AS (
      SELECT f.idx, v_lasts[f.idx] - p_epoch_counts[f.ord] + e.i AS seq, p_payloads -> (f.ord - 1) -> (e.i - 1) AS payload
      FROM unnest(v_fast) WITH ORDINALITY AS f(ord, idx)
      CROSS JOIN LATERAL generate_series(1, p_epoch_counts[f.ord]) AS e(i)
    ), ins AS (
      INSERT INTO run_events (run_id, seq, type, payload, at)
      SELECT p_runs[v_fast[ev.idx]], ev.seq, 'EPOCH', ev.payload, p_at FROM ev
    ), per_run AS (
      SELECT ev.idx, count(*) AS n,
             json_agg(json_build_object('runId', p_runs[v_fast[ev.idx]], 'seq', ev.seq, 'type', 'EPOCH', 'payload', ev.payload, 'at', p_at_text)
                      ORDER BY ev.seq) AS events
      FROM ev
      GROUP BY ev.idx
    ), full_payload AS (
      SELECT per_run.idx, per_run.n,
             CASE WHEN per_run.n * 120 <= p_max_payload
                  THEN json_build_object('runId', p_runs[v_fast[per_run.idx]], 'projectId', v_projects[per_run.idx], 'lastSeq', v_lasts[per_run.idx],
                                         'updated', true, 'events', per_run.events)::text END AS text
      FROM per_run
    )
    SELECT array_agg(CASE WHEN fp.text IS NOT NULL AND octet_length(fp.text) <= p_max_payload THEN fp.text
                          ELSE json_build_object('runId', p_runs[v_fast[fp.idx]], 'projectId', v_projects[fp.idx], 'lastSeq', v_lasts[fp.idx], 'updated', true)::text END
                     ORDER BY fp.idx)
    INTO v_notes
    FROM full_payload AS fp;
    PERFORM pg_notify(p_channel, note) FROM unnest(v_notes) AS note;

    FOR idx IN 1 .. cardinality(v_fast) LOOP
      v_seqs[v_fast[idx]] := v_lasts[idx];
    END LOOP;
  END IF;

  -- Every other report, one at a time, in the order given.
  FOR i IN 1 .. v_count LOOP
    CONTINUE WHEN i = ANY (v_fast);
    v_seqs[i] := tunelab_report_epochs(
      p_runs[i], p_workers[i], p_tokens[i], p_lease_until[i],
      coalesce(p_keys[v_koff[i] + 1 : v_koff[i] + p_key_counts[i]], '{}'), coalesce(p_lower[v_koff[i] + 1 : v_koff[i] + p_key_counts[i]], '{}'),
      coalesce(p_epochs[v_eoff[i] + 1 : v_eoff[i] + p_epoch_counts[i]], '{}'),
      coalesce(p_values[v_voff[i] + 1 : v_voff[i] + p_epoch_counts[i] * p_key_counts[i]], '{}'),
      coalesce(p_summaries[v_koff[i] * 7 + 1 : (v_koff[i] + p_key_counts[i]) * 7], '{}'), p_payloads -> (i - 1),
      p_widths, p_at, p_at_text, p_channel, p_max_payload);
  END LOOP;
  RETURN v_seqs;
END
$fn$;
