-- name: account_events
-- description: Every event recorded for an account (all sources, all time), with the file it came from; the base of sessions, history and claims.
-- param account: the customer account id
SELECT e.event_id, e.source_id, s.path, e.line_no, e.ts, e.ts_raw, e.source_kind,
       e.event, e.result, e.account, e.actor, e."user", e.auth, e.session, e.ip,
       e.user_agent, e.method, e.path AS http_path, e.status, e.referrer, e.target,
       e.host, CAST(e.detail AS VARCHAR) AS detail, e.raw
FROM events e
JOIN sources s USING (source_id)
WHERE e.account = $account
ORDER BY e.ts, e.source_id, e.line_no
