-- name: event_raw
-- description: The raw text of the given events (as written in their files), for the lines an investigation cites.
-- param event_ids: LIST of event ids
SELECT e.event_id, e.raw
FROM events e
WHERE e.event_id IN (SELECT unnest(CAST($event_ids AS BIGINT[])))
ORDER BY e.event_id
