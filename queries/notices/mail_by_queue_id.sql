-- name: mail_by_queue_id
-- description: Every mail log line of the given queue ids (Postfix) or message ids (Exim) in a window: the message's sender, each delivery attempt with the remote server's reply, bounce notices and removal.
-- param queue_ids: LIST of queue ids
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
-- Two steps: the lines are found on the narrow columns (time, queue id, detail) and
-- only they are read whole (1.7 -> 1.0 CPU-s for the large benchmark's 13 calls).
SELECT *
FROM evidence_events e
WHERE e.event_id IN (
    SELECT event_id FROM events
    WHERE source_kind = 'mail'
      AND ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)
      AND (   list_contains(CAST($queue_ids AS VARCHAR[]), session)
           OR list_contains(CAST($queue_ids AS VARCHAR[]), json_extract_string(detail, '$.parent_queue_id'))
           OR list_contains(CAST($queue_ids AS VARCHAR[]), json_extract_string(detail, '$.notice_queue_id'))))
ORDER BY e.ts, e.source_id, e.line_no
