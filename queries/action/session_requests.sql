-- name: session_requests
-- description: HTTP requests (access log) that may belong to an account's sessions: carrying one of the session ids or user names, or coming from one of the addresses (directly or, behind a proxy, in X-Forwarded-For), inside a time window.
-- param sessions: LIST of panel session ids (comma-separated on the command line)
-- param users: LIST of user names the account logged in with
-- param ips: LIST of addresses the account's sessions used
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
-- The access log may carry the panel session in `detail` rather than `session`.
SELECT * REPLACE (coalesce(e.session, json_extract_string(e.detail, '$.session')) AS session)
FROM evidence_events e
WHERE e.source_kind = 'http'
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND (   e.ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))
       OR e."user" IN (SELECT unnest(CAST($users AS VARCHAR[])))
       OR e.session IN (SELECT unnest(CAST($sessions AS VARCHAR[])))
       OR json_extract_string(e.detail, '$.session') IN (SELECT unnest(CAST($sessions AS VARCHAR[])))
       -- behind a load balancer: the client in X-Forwarded-For (trusted or not is decided in Python)
       OR list_has_any(string_split(replace(json_extract_string(e.detail, '$.x_forwarded_for'), ' ', ''), ','),
                       CAST($ips AS VARCHAR[])))
ORDER BY e.ts, e.source_id, e.line_no
