-- name: source_coverage
-- description: Every ingested file with its period (first and last event), kind, host, and the time-zone and year decisions made when it was read.
SELECT source_id, path, source_kind, host, format, sha256, first_ts, last_ts, tz, tz_decision,
       tz_assumed, year_decision, lines_read, events_parsed, lines_rejected, truncated, truncation_reason
FROM sources
ORDER BY source_kind, first_ts, source_id
