-- name: login_failures
-- description: Failed logins before a session: the account's own failed panel logins, failed panel logins of any account from the given addresses, and failed sshd logins from those addresses, inside a time window.
-- param account: the customer account id
-- param ips: LIST of addresses (the session's address)
-- param users: LIST of the account's user names (sshd failures for those names count too)
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
SELECT *
FROM evidence_events e
WHERE e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND (   (e.source_kind = 'panel' AND e.event = 'login' AND e.result = 'failure'
           AND (e.account = $account OR e.ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))))
       OR (e.source_kind = 'ssh' AND (e.result = 'failure' OR e.event = 'ssh_invalid_user')
           AND (   e.ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))
                OR e."user" IN (SELECT unnest(CAST($users AS VARCHAR[]))))))
ORDER BY e.ts, e.source_id, e.line_no
