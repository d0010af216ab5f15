-- name: log_activity
-- description: Whether a server's own logs (source kinds syslog/ssh) or its web access log (http) were written during a window: the last line before it, the first and last inside it, the first after it (each within 30 days), each with the number of lines inside the window, of those the requests answered below 500, and of the baseline period before it (for the usual rate). A silence corroborates an outage; lines written throughout contradict it.
-- param kinds: LIST of source kinds (syslog, ssh; or http)
-- param hosts: LIST of the server's names (host column) or, for access logs without one, virtual host names
-- param baseline_since: TIMESTAMPTZ, start of the baseline period before the window
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
WITH lines AS MATERIALIZED (
    SELECT e.event_id, e.ts, e.line_no, e.status
    FROM events e
    WHERE e.source_kind IN (SELECT unnest(CAST($kinds AS VARCHAR[])))
      AND e.ts >= CAST($baseline_since AS TIMESTAMPTZ) - INTERVAL 30 DAY
      AND e.ts < CAST($until AS TIMESTAMPTZ) + INTERVAL 30 DAY
      AND CASE WHEN e.host IS NOT NULL THEN e.host IN (SELECT unnest(CAST($hosts AS VARCHAR[])))
               ELSE json_extract_string(e.detail, '$.vhost') IN (SELECT unnest(CAST($hosts AS VARCHAR[]))) END
), counts AS (
    SELECT count(*) FILTER (WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)) AS n_inside,
           count(*) FILTER (WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)
                            AND (status IS NULL OR status < 500)) AS n_inside_answered,
           count(*) FILTER (WHERE ts >= CAST($baseline_since AS TIMESTAMPTZ) AND ts < CAST($since AS TIMESTAMPTZ)) AS n_baseline
    FROM lines
), edges AS (
    (SELECT 'before' AS edge, event_id FROM lines WHERE ts < CAST($since AS TIMESTAMPTZ) ORDER BY ts DESC, line_no DESC LIMIT 1)
    UNION ALL
    (SELECT 'first_inside' AS edge, event_id FROM lines WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ) ORDER BY ts, line_no LIMIT 1)
    UNION ALL
    (SELECT 'last_inside' AS edge, event_id FROM lines WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ) ORDER BY ts DESC, line_no DESC LIMIT 1)
    UNION ALL
    (SELECT 'after' AS edge, event_id FROM lines WHERE ts >= CAST($until AS TIMESTAMPTZ) ORDER BY ts, line_no LIMIT 1)
)
SELECT edges.edge, e.*, counts.*
FROM edges
JOIN evidence_events e ON e.event_id = edges.event_id
CROSS JOIN counts
ORDER BY e.ts, e.line_no
