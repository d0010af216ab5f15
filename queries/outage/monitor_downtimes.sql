-- name: monitor_downtimes
-- description: Scheduled downtimes the monitoring recorded for a service (Nagios/Icinga HOST/SERVICE DOWNTIME ALERT STARTED / STOPPED / CANCELLED): planned maintenance as the monitoring knew it.
-- param targets: LIST of the monitored names of the service
-- param since: TIMESTAMPTZ, start of the period (inclusive)
-- param until: TIMESTAMPTZ, end of the period (exclusive)
SELECT *
FROM evidence_events e
WHERE e.source_kind = 'monitoring'
  AND e.event IN ('monitor_downtime_start', 'monitor_downtime_end')
  AND e.target IN (SELECT unnest(CAST($targets AS VARCHAR[])))
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
ORDER BY e.ts, e.source_id, e.line_no
