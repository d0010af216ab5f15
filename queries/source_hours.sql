-- name: source_hours
-- description: The given sources' events per UTC hour (first and last event, count): what ingest stores in the source_hours table, and what coverage computes for case files made before that table existed.
-- param source_ids: list of source ids
SELECT source_id,
       -- integer hour buckets: epoch_us avoids the zone-aware (ICU) truncation of TIMESTAMPTZ
       to_timestamp((epoch_us(ts) // 3600000000) * 3600) AS hour_start,
       min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS events
FROM events
WHERE ts IS NOT NULL AND source_id IN (SELECT unnest(CAST($source_ids AS INTEGER[])))
GROUP BY source_id, epoch_us(ts) // 3600000000
ORDER BY source_id, hour_start
