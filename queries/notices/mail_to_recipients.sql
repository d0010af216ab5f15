-- name: mail_to_recipients
-- description: Delivery attempts to the given recipient addresses in a window (for notices logged without a Message-ID, and mail the provider sent from elsewhere).
-- param recipients: LIST of e-mail addresses, lower case
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
SELECT *
FROM evidence_events e
WHERE e.source_kind = 'mail'
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND e.event IN ('mail_delivery', 'mail_expired')
  AND lower(e.target) IN (SELECT unnest(CAST($recipients AS VARCHAR[])))
ORDER BY e.ts, e.source_id, e.line_no
