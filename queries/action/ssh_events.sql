-- name: ssh_events
-- description: sshd events attributed to an account: from one of its addresses, for one of its user names, or on one of its servers (sshd host name = panel target), inside a time window.
-- param ips: LIST of addresses the account used in the panel
-- param users: LIST of the account's user names
-- param hosts: LIST of the account's servers (panel targets) as sshd host names
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
SELECT *
FROM evidence_events e
WHERE e.source_kind = 'ssh'
  AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
  AND (   e.ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))
       OR e."user" IN (SELECT unnest(CAST($users AS VARCHAR[])))
       OR e.host IN (SELECT unnest(CAST($hosts AS VARCHAR[]))))
ORDER BY e.ts, e.source_id, e.line_no
