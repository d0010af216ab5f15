-- name: mail_by_message_id
-- description: The mail server's lines that name one of the given Message-IDs (Postfix cleanup message-id=, Exim <= id=): where a notice entered the mail queue, and under which queue id.
-- param message_ids: LIST of Message-IDs, without the angle brackets
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
SELECT *
FROM evidence_events e
WHERE e.source_kind = 'mail'
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND e.event IN ('mail_message_id', 'mail_received')
  AND trim(json_extract_string(e.detail, '$.message_id'), '<> ')
      IN (SELECT unnest(CAST($message_ids AS VARCHAR[])))
ORDER BY e.ts, e.source_id, e.line_no
