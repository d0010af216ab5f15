-- name: monitor_runs
-- description: The state runs of every monitoring stream (one check from one probe, or one Nagios/Icinga host or service) of a service: the first event of each run of the same status (up, down, unknown; `result` success is up, degraded included; failure is down), with the run's length, its last sample and when the next run began. A down run is a down window of that stream; its first row is the evidence of the start, the next run's first row that of the end.
-- param targets: LIST of the monitored names of the service (server/VM id, domain)
-- param since: TIMESTAMPTZ, start of the period (inclusive)
-- param until: TIMESTAMPTZ, end of the period (exclusive)
WITH parsed AS (
    -- slim rows: the JSON detail is parsed once (state type and attempt only
    -- for the few state-log lines); the raw line is joined back only for the run starts
    SELECT e.event_id, e.source_id, e.line_no, e.ts, e.target, e.event <> 'monitor_check' AS state_log,
           CASE e.result WHEN 'success' THEN 1 WHEN 'failure' THEN 2 ELSE 0 END AS st,
           json_extract_string(e.detail, ['$.check', '$.probe']) AS j
    FROM events e
    WHERE e.source_kind = 'monitoring'
      AND e.event IN ('monitor_check', 'monitor_alert', 'monitor_state')
      AND e.target IN (SELECT unnest(CAST($targets AS VARCHAR[])))
      AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
), samples AS (
    SELECT *, hash(source_id, target, coalesce(j[1], ''), coalesce(j[2], '')) AS stream FROM parsed
), ordered AS (
    -- one sort per stream, on narrow columns (an integer key, a small status code):
    -- the status and time before, the position, whether it is the last
    SELECT event_id, stream, ts, state_log, st, lag(st) OVER w AS prev_st, lag(ts) OVER w AS prev_ts,
           row_number() OVER w AS rn, lead(ts) OVER w IS NULL AS is_last
    FROM (SELECT event_id, stream, ts, line_no, state_log, st FROM samples)
    WINDOW w AS (PARTITION BY stream ORDER BY ts, line_no)
), kept AS (
    -- only what changes, the stream's last sample, and every state-log line (few: changes only)
    SELECT o.*, o.prev_st IS DISTINCT FROM o.st AS starts_run, e.source_id, e.target,
           coalesce(json_extract_string(e.detail, '$.check'), '') AS check_name,
           coalesce(json_extract_string(e.detail, '$.probe'), '') AS probe,
           CASE o.st WHEN 1 THEN 'up' WHEN 2 THEN 'down' ELSE 'unknown' END AS mon_status,
           CASE WHEN o.state_log THEN json_extract_string(e.detail, ['$.state_type', '$.attempt']) END AS sa
    FROM ordered o
    JOIN events e USING (event_id)
    WHERE o.prev_st IS DISTINCT FROM o.st OR o.is_last OR o.state_log
), numbered AS (
    SELECT *, sum(CAST(starts_run AS INTEGER)) OVER (PARTITION BY stream ORDER BY rn ROWS UNBOUNDED PRECEDING) AS run_no
    FROM kept
), runs AS (
    SELECT stream, source_id, target, check_name, probe, run_no,
           arg_min(event_id, rn) AS first_event_id, min(rn) AS first_rn, arg_min(prev_ts, rn) AS first_prev_ts,
           min(ts) AS first_ts, max(ts) AS last_kept_ts, max(rn) AS last_kept_rn,
           arg_min(mon_status, rn) AS mon_status, max(TRY_CAST(sa[2] AS INTEGER)) AS run_max_attempt,
           coalesce(bool_or(sa[1] = 'HARD'), false) AS run_hard
    FROM numbered
    GROUP BY ALL
), chained AS (
    SELECT *,
           lead(first_ts) OVER s AS next_ts,
           coalesce(lead(first_prev_ts) OVER s, last_kept_ts) AS run_last_ts,
           coalesce(lead(first_rn) OVER s, last_kept_rn + 1) - first_rn AS run_checks
    FROM runs
    WINDOW s AS (PARTITION BY stream ORDER BY run_no)
)
SELECT e.*, c.check_name, c.probe, c.mon_status, c.run_checks, c.run_last_ts, c.run_max_attempt, c.run_hard,
       c.run_no, c.next_ts
FROM chained c
JOIN evidence_events e ON e.event_id = c.first_event_id
ORDER BY e.ts, e.source_id, e.line_no
