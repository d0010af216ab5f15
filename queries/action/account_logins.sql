-- name: account_logins
-- description: Panel logins (successful and failed) of an account with the address's network and the browser's family: the raw material of the account's history.
-- param account: the customer account id
-- param since: TIMESTAMPTZ or empty, start of the period (inclusive)
-- param until: TIMESTAMPTZ or empty, end of the period (exclusive)
SELECT e.ts, e.result, e.auth, e."user", e.session, e.ip, i.prefix,
       coalesce(i.isp_network, i.asn_network) AS network, i.as_org, i.country_iso,
       u.browser_family, u.browser_major, u.os_family, u.automation_class, e.user_agent,
       s.path, e.line_no
FROM events e
JOIN sources s USING (source_id)
LEFT JOIN ip_info i ON i.ip = e.ip
LEFT JOIN user_agents u ON u.user_agent = e.user_agent
WHERE e.account = $account AND e.event = 'login'
  AND (nullif(CAST($since AS VARCHAR), '') IS NULL OR e.ts >= CAST(nullif(CAST($since AS VARCHAR), '') AS TIMESTAMPTZ))
  AND (nullif(CAST($until AS VARCHAR), '') IS NULL OR e.ts < CAST(nullif(CAST($until AS VARCHAR), '') AS TIMESTAMPTZ))
ORDER BY e.ts
