-- name: monitor_span
-- description: Per monitoring file, what it says about a service: its format, first and last event for the service's names and how many there are (the native export's checks define the monitored time; a Nagios/Icinga log only writes changes, so the file's own period counts). The probes are counted from the runs (monitor_runs).
-- param targets: LIST of the monitored names of the service
SELECT s.source_id, s.path, s.format, s.first_ts AS file_first_ts, s.last_ts AS file_last_ts,
       min(e.ts) AS first_ts, max(e.ts) AS last_ts, count(*) AS events,
       count(*) FILTER (WHERE e.event = 'monitor_check') AS checks
FROM events e
JOIN sources s USING (source_id)
WHERE e.source_kind = 'monitoring'
  AND e.target IN (SELECT unnest(CAST($targets AS VARCHAR[])))
GROUP BY ALL
ORDER BY s.source_id
