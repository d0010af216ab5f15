-- name: source_gaps
-- description: Silences longer than a limit inside each source, with the exact last event before and first event after each silence (one pass over the case, hourly buckets).
-- param min_gap_hours: a silence must last longer than this many hours to be a gap
WITH hours AS (
    -- integer hour buckets: epoch_us avoids the zone-aware (ICU) truncation of TIMESTAMPTZ
    SELECT source_id, epoch_us(ts) // 3600000000 AS h, min(ts) AS first_ts, max(ts) AS last_ts
    FROM events
    WHERE ts IS NOT NULL
    GROUP BY ALL
), steps AS (
    SELECT source_id, last_ts AS gap_start,
           lead(first_ts) OVER (PARTITION BY source_id ORDER BY h) AS gap_end
    FROM hours
)
SELECT source_id, gap_start, gap_end, round(epoch(gap_end - gap_start) / 3600.0, 1) AS hours
FROM steps
WHERE gap_end IS NOT NULL
  AND epoch(gap_end - gap_start) > CAST($min_gap_hours AS DOUBLE) * 3600
ORDER BY source_id, gap_start
