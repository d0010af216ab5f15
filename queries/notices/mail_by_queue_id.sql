-- name: mail_by_queue_id
-- description: Every mail log line of the given queue ids (Postfix) or message ids (Exim) in a window: the message's sender, each delivery attempt with the remote server's reply, bounce notices and removal.
-- param queue_ids: LIST of queue ids
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
SELECT *
FROM evidence_events e
WHERE e.source_kind = 'mail'
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND (   e.session IN (SELECT unnest(CAST($queue_ids AS VARCHAR[])))
       OR json_extract_string(e.detail, '$.parent_queue_id') IN (SELECT unnest(CAST($queue_ids AS VARCHAR[])))
       OR json_extract_string(e.detail, '$.notice_queue_id') IN (SELECT unnest(CAST($queue_ids AS VARCHAR[]))))
ORDER BY e.ts, e.source_id, e.line_no
