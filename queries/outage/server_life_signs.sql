-- name: server_life_signs
-- description: The server's own life signs in its system log (syslog, journald) in a period: boots, systemd's "Startup finished", shutdown and reboot requests, kernel panics, OOM kills, watchdog lockups.
-- param hosts: LIST of the server's names as its log writes them (or as given with ingest --host)
-- param since: TIMESTAMPTZ, start of the period (inclusive)
-- param until: TIMESTAMPTZ, end of the period (exclusive)
SELECT *
FROM evidence_events e
WHERE e.event IN ('boot', 'startup_finished', 'shutdown_request', 'kernel_panic', 'oom_kill', 'watchdog')
  AND e.host IN (SELECT unnest(CAST($hosts AS VARCHAR[])))
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
ORDER BY e.ts, e.source_id, e.line_no
