-- name: source_gaps
-- description: Silences longer than a limit inside each source, with the exact last event before and first event after each silence (from the per-hour table source_hours, written at ingest).
-- param min_gap_hours: a silence must last longer than this many hours to be a gap
WITH steps AS (
    SELECT source_id, last_ts AS gap_start,
           lead(first_ts) OVER (PARTITION BY source_id ORDER BY hour_start) AS gap_end
    FROM source_hours
)
SELECT source_id, gap_start, gap_end, round(epoch(gap_end - gap_start) / 3600.0, 1) AS hours
FROM steps
WHERE gap_end IS NOT NULL
  AND epoch(gap_end - gap_start) > CAST($min_gap_hours AS DOUBLE) * 3600
ORDER BY source_id, gap_start
