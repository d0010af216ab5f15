-- name: monitor_silences
-- description: Silences of a service's monitoring: two consecutive probe results (of any check and probe of the native check export) further apart than the longest interval expected; the time between is not monitored, so it is counted neither as up nor as down. The row is the check after the silence.
-- param targets: LIST of the monitored names of the service
-- param since: TIMESTAMPTZ, start of the period (inclusive)
-- param until: TIMESTAMPTZ, end of the period (exclusive)
-- param max_interval_seconds: DOUBLE, the longest expected time between two probe results
WITH checks AS (
    SELECT e.event_id, e.ts, lag(e.ts) OVER (ORDER BY e.ts, e.source_id, e.line_no) AS previous_ts
    FROM events e
    WHERE e.source_kind = 'monitoring' AND e.event = 'monitor_check'
      AND e.target IN (SELECT unnest(CAST($targets AS VARCHAR[])))
      AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
)
SELECT c.previous_ts AS gap_start, c.ts AS gap_end, epoch(c.ts) - epoch(c.previous_ts) AS seconds, e.*
FROM checks c
JOIN evidence_events e ON e.event_id = c.event_id
WHERE c.previous_ts IS NOT NULL AND epoch(c.ts) - epoch(c.previous_ts) > CAST($max_interval_seconds AS DOUBLE)
ORDER BY c.ts
