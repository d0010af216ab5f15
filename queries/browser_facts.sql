-- name: browser_facts
-- description: What enrichment knows about a set of User-Agent strings (browser, OS, device class, automation class, fingerprints).
-- param user_agents: LIST of exact User-Agent strings
-- The list reaches the scan as a filter on `user_agent`, the primary key: its index finds
-- the rows (`user_agent IN (SELECT unnest(...))`, a join, read the key column of every
-- row group the list's range spans; see ip_facts.sql).
SELECT * FROM user_agents WHERE list_contains(CAST($user_agents AS VARCHAR[]), user_agent)
