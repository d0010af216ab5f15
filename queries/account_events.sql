-- name: account_events
-- description: Every event recorded for an account (all sources, all time), with the file it came from; the base of sessions, history and claims.
-- param account: the customer account id
SELECT *
FROM evidence_events e
WHERE e.account = $account
ORDER BY e.ts, e.source_id, e.line_no
