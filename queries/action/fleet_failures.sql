-- name: fleet_failures
-- description: Failed panel logins against OTHER accounts in a time window, from the given addresses, networks (ISP/ASN range) or User-Agent strings: the credential-stuffing wave a login may end.
-- param account: the account under investigation (its own failures are login_failures' business)
-- param ips: LIST of addresses (the disputed sessions' addresses)
-- param networks: LIST of ISP/ASN networks as enrichment names them (e.g. 128.199.0.0/16)
-- param user_agents: LIST of User-Agent strings (the disputed sessions' browsers)
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
-- One scan of the window (zone maps on `ts` prune the rest of the case); the
-- network of each failing address comes from enrichment, looked up for those
-- addresses only (a join with every enriched address built a hash table of all).
WITH failures AS (
    SELECT e.*
    FROM evidence_events e
    WHERE e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
      AND e.source_kind = 'panel' AND e.event = 'login' AND e.result = 'failure'
      AND e.account IS DISTINCT FROM $account
), networks AS (
    SELECT i.ip, coalesce(i.isp_network, i.asn_network) AS network
    FROM ip_info i
    WHERE i.ip IN (SELECT ip FROM failures)
)
SELECT f.*, n.network
FROM failures f
LEFT JOIN networks n ON n.ip = f.ip
WHERE f.ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))
   OR f.user_agent IN (SELECT unnest(CAST($user_agents AS VARCHAR[])))
   OR n.network IN (SELECT unnest(CAST($networks AS VARCHAR[])))
ORDER BY f.ts, f.source_id, f.line_no
