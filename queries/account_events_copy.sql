-- name: account_events_copy
-- description: The rows of account_events without ts_raw and raw, read from account_rows (the copy sorted by account that forensics enrich writes): the same rows while case_meta's account_rows_state equals the case's state, which the investigations check before reading it (their method then names account_events).
-- param account: the customer account id
SELECT e.event_id, e.source_id, s.path, e.line_no, e.ts, e.source_kind,
       e.event, e.result, e.account, e.actor, e."user", e.auth, e.session, e.ip,
       e.user_agent, e.method, e.path AS http_path, e.status, e.referrer, e.target,
       e.host, CAST(e.detail AS VARCHAR) AS detail, e.integrity
FROM account_rows e
JOIN sources s USING (source_id)
WHERE e.account = $account
ORDER BY e.ts, e.source_id, e.line_no
