-- name: staff_activity
-- description: What provider staff did on an account (staff actor, impersonation sessions), with the ticket or reason logged.
-- param account: the customer account id
SELECT e.ts, e.event, e."user" AS staff_member, e.ip, e.session, e.auth, e.target,
       json_extract_string(e.detail, '$.ticket') AS ticket,
       json_extract_string(e.detail, '$.reason') AS reason,
       s.path, e.line_no, e.raw
FROM events e
JOIN sources s USING (source_id)
WHERE e.account = $account
  AND (e.actor = 'staff' OR e.auth = 'impersonation' OR e.event LIKE 'impersonate%')
ORDER BY e.ts
