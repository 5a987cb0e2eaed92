-- tunelab_report_events: the worker's progress and log reports (reportProgress, reportLogs) in ONE statement and one
-- round trip, as tunelab_report_epochs (0002, 0010) made of the epoch report. They were a transaction of five round
-- trips (BEGIN, run lock, events, NOTIFY, COMMIT), and progress is the request a training worker sends most (twice a
-- second): worker-reports measured 2.4 ms of the API's CPU and 1.5 ms of Postgres's per progress report on Postgres,
-- against 1.4 and 0.8 ms for a one-epoch report carrying more data.
--
-- Returns the run's last event seq, or NULL when the run is not active and held by this worker under this token
-- (nothing written; the caller finds out which check failed, as for the epoch report).
-- 1. Lock the run and extend its lease (only if held by p_worker, active, and the worker registered with p_token).
-- 2. Keep the events whose p_log_seqs element is NULL (progress, unnumbered log lines) or above the run's
--    reported_log_seq: numbered log lines already stored (a retried report whose answer was lost) are skipped.
--    Nothing kept: nothing written, no NOTIFY.
-- 3. Append them with dense seqs from runs.last_event_seq, raise reported_log_seq to the highest kept line, and queue
--    one NOTIFY on p_channel (sent at commit) in the format of the API's RunNotification (`updated` false: neither
--    progress nor a log line changes what runUpdated shows); the events are left out when that exceeds p_max_payload.
--
--   p_types      the events' types (PROGRESS or LOG), in order
--   p_payloads   JSON array of their payloads, in the same order
--   p_at_texts   their times as the API writes them in JSON (ISO 8601, UTC), stored as timestamptz
--   p_log_seqs   the worker's number of each log line (NULL for progress and for unnumbered lines)
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
