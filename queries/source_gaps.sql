-- name: source_gaps
-- description: Silences longer than a limit inside each source (from hourly activity, edges refined to the exact last and first event around each silence).
-- param min_gap_hours: a silence must last longer than this many hours to be a gap
WITH hours AS (
    SELECT DISTINCT source_id, date_trunc('hour', ts) AS h
    FROM events WHERE ts IS NOT NULL
), steps AS (
    SELECT source_id, h, lead(h) OVER (PARTITION BY source_id ORDER BY h) AS next_h FROM hours
), candidates AS (
    -- hour buckets apart by more than the limit (minus the bucket width) are candidate gaps
    SELECT source_id, h, next_h FROM steps
    WHERE next_h IS NOT NULL AND next_h - h > to_hours(CAST($min_gap_hours AS BIGINT) - 1)
), edges AS (
    SELECT c.source_id,
           (SELECT max(e.ts) FROM events e WHERE e.source_id = c.source_id AND e.ts >= c.h AND e.ts < c.h + INTERVAL 1 HOUR) AS gap_start,
           (SELECT min(e.ts) FROM events e WHERE e.source_id = c.source_id AND e.ts >= c.next_h AND e.ts < c.next_h + INTERVAL 1 HOUR) AS gap_end
    FROM candidates c
)
SELECT source_id, gap_start, gap_end,
       round(epoch(gap_end - gap_start) / 3600.0, 1) AS hours
FROM edges
WHERE epoch(gap_end - gap_start) > CAST($min_gap_hours AS DOUBLE) * 3600
ORDER BY source_id, gap_start
