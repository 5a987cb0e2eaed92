-- Progress is a value, not a history: a run keeps only its latest PROGRESS event per phase.
--
-- Why: a training worker reports progress twice a second, and every report was kept: 7,200 rows per hour of training,
-- nearly all of a long run's events. Opening a run's page replays its events from seq 0 (runEventBatches), so the page
-- of a run that had trained for hours sent tens of thousands of progress values of which it shows one per phase
-- (bench/src/api/run-page-replay.ts measures it). Live subscribers still get every progress event as it is reported;
-- what is stored, and so replayed, is each phase's latest value at its place in the run's order. The seqs of a run's
-- stored events now have holes where superseded progress was: readers already asked for seq > N, never for N + 1.
--
-- 1. The partial index of a run's progress events (a few rows per run once 3. has run).
CREATE INDEX "run_events_progress_idx" ON "run_events" USING btree ("run_id","seq") WHERE "run_events"."type" = 'PROGRESS';--> statement-breakpoint
-- 2. The runs recorded so far: every PROGRESS event that a later one of the same phase supersedes goes. Set-wise (each
-- run's and phase's latest seq, then one join): 1.2 s for 1,000,000 progress rows of 100 runs on a 2-core machine,
-- against 28 s for a probe of the index per row.
DELETE FROM run_events AS o
USING (SELECT run_id, payload ->> 'phase' AS phase, max(seq) AS latest
       FROM run_events WHERE type = 'PROGRESS' GROUP BY run_id, payload ->> 'phase') AS k
WHERE o.type = 'PROGRESS' AND o.run_id = k.run_id AND o.payload ->> 'phase' = k.phase AND o.seq < k.latest;--> statement-breakpoint
-- 3. tunelab_report_events (0013), the one writer of progress, now deletes what its progress supersedes in the same
-- statement. Unchanged otherwise: same arguments, result and NOTIFY (live subscribers see every value).
CREATE OR REPLACE FUNCTION tunelab_report_events(
  p_run uuid, p_worker uuid, p_token uuid, p_lease_until timestamptz,
  p_types run_event_type[], p_payloads jsonb, p_at_texts text[], p_log_seqs int[],
  p_channel text, p_max_payload int
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_project uuid;
  v_last bigint;
  v_logged int;
  v_keep int[];
  v_top int;
  v_n int;
  v_numbered boolean;
  v_payload text;
BEGIN
  IF cardinality(p_types) <> cardinality(p_at_texts) OR cardinality(p_types) <> cardinality(p_log_seqs)
     OR cardinality(p_types) <> jsonb_array_length(p_payloads) THEN
    RAISE EXCEPTION 'tunelab_report_events: % types need as many payloads, times and log seqs (got %, %, %)',
      cardinality(p_types), jsonb_array_length(p_payloads), cardinality(p_at_texts), cardinality(p_log_seqs);
  END IF;

  v_n := cardinality(p_types);
  IF v_n = 0 THEN
    RAISE EXCEPTION 'tunelab_report_events: no events to report';
  END IF;
  -- Lock the run (held by p_worker, active, the worker registered with p_token) and move its lease as the epoch
  -- report does (only when that gains more than a tenth of the lease, so most reports leave the lease index alone).
  -- Without numbered log lines (progress, the rule) every event is kept: the seqs are taken in the same UPDATE.
  v_numbered := EXISTS (SELECT 1 FROM unnest(p_log_seqs) AS s WHERE s IS NOT NULL);
  UPDATE runs AS r SET
    last_event_seq = r.last_event_seq + CASE WHEN v_numbered THEN 0 ELSE v_n END,
    lease_expires_at = CASE WHEN r.lease_expires_at IS NULL OR p_lease_until - r.lease_expires_at > (p_lease_until - now()) / 10
                            THEN coalesce(p_lease_until, r.lease_expires_at) ELSE r.lease_expires_at END
  WHERE r.id = p_run AND r.worker_id = p_worker AND r.status IN ('PREPARING', 'RUNNING')
    AND EXISTS (SELECT 1 FROM workers AS w WHERE w.id = p_worker AND w.token_id = p_token)
  RETURNING r.project_id, r.last_event_seq, r.reported_log_seq INTO v_project, v_last, v_logged;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  IF v_numbered THEN
    -- Numbered lines at or below the highest one stored (a retried report whose answer was lost) are skipped.
    SELECT coalesce(array_agg(e.i ORDER BY e.i), '{}'), max(e.log_seq) INTO v_keep, v_top
    FROM unnest(p_log_seqs) WITH ORDINALITY AS e(log_seq, i)
    WHERE e.log_seq IS NULL OR e.log_seq > v_logged;
    v_n := cardinality(v_keep);
    IF v_n = 0 THEN
      RETURN v_last;
    END IF;
    UPDATE runs SET last_event_seq = last_event_seq + v_n, reported_log_seq = GREATEST(reported_log_seq, coalesce(v_top, 0))
    WHERE id = p_run RETURNING last_event_seq INTO v_last;
  ELSE
    v_keep := ARRAY(SELECT generate_series(1, v_n));
  END IF;

  INSERT INTO run_events (run_id, seq, type, payload, at)
  SELECT p_run, v_last - v_n + k.ord, p_types[k.i], p_payloads -> (k.i - 1), p_at_texts[k.i]::timestamptz
  FROM unnest(v_keep) WITH ORDINALITY AS k(i, ord);

  -- Progress is a value, not a history: each phase reported here keeps only its newest event, and the older ones of
  -- that phase go (one probe of the partial index run_events_progress_idx, which holds a few rows per run).
  IF 'PROGRESS' = ANY (p_types) THEN
    DELETE FROM run_events AS o
    USING (SELECT p_payloads -> (k.i - 1) ->> 'phase' AS phase, max(v_last - v_n + k.ord) AS seq
           FROM unnest(v_keep) WITH ORDINALITY AS k(i, ord)
           WHERE p_types[k.i] = 'PROGRESS'
           GROUP BY 1) AS latest
    WHERE o.run_id = p_run AND o.type = 'PROGRESS' AND o.seq < latest.seq AND o.payload ->> 'phase' = latest.phase;
  END IF;

  -- A PROGRESS or LOG event takes at least ~120 bytes of JSON (run id, seq, type, payload, time): past
  -- p_max_payload / 120 events the payload would be dropped anyway, so the FILTER skips building it.
  SELECT json_build_object('runId', p_run, 'projectId', v_project, 'lastSeq', v_last, 'updated', false,
           'events', json_agg(json_build_object('runId', p_run, 'seq', v_last - v_n + k.ord, 'type', p_types[k.i],
                                                'payload', p_payloads -> (k.i - 1), 'at', p_at_texts[k.i]) ORDER BY k.ord)
                     FILTER (WHERE v_n * 120 <= p_max_payload))::text
  INTO v_payload
  FROM unnest(v_keep) WITH ORDINALITY AS k(i, ord);
  IF v_n * 120 > p_max_payload OR octet_length(v_payload) > p_max_payload THEN
    v_payload := json_build_object('runId', p_run, 'projectId', v_project, 'lastSeq', v_last, 'updated', false)::text;
  END IF;
  PERFORM pg_notify(p_channel, v_payload);
  RETURN v_last;
END
$fn$ SET plan_cache_mode = force_generic_plan;
