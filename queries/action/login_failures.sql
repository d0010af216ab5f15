-- name: login_failures
-- description: Failed logins before a session: the account's own failed panel logins, failed panel logins of any account from the given addresses, and failed sshd logins from those addresses, inside a time window.
-- param account: the customer account id
-- param ips: LIST of addresses (the session's address)
-- param users: LIST of the account's user names (sshd failures for those names count too)
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
-- Two steps: the failures are found on the narrow columns (time, kind, event,
-- result, account, address, user), and only they are read whole.  Filtering the
-- whole rows decompressed `raw` for every panel and sshd line of the window
-- (1.08 -> 0.32 CPU-s for the benchmark's 24 calls on 26.6 M events).
SELECT *
FROM evidence_events e
WHERE e.event_id IN (
    SELECT event_id FROM events
    WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)
      AND source_kind = 'panel' AND event = 'login' AND result = 'failure'
      AND (account = $account OR list_contains(CAST($ips AS VARCHAR[]), ip))
    UNION ALL
    SELECT event_id FROM events
    WHERE ts >= CAST($since AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)
      AND source_kind = 'ssh' AND (result = 'failure' OR event = 'ssh_invalid_user')
      AND (list_contains(CAST($ips AS VARCHAR[]), ip) OR list_contains(CAST($users AS VARCHAR[]), "user")))
ORDER BY e.ts, e.source_id, e.line_no
