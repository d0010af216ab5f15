-- name: browser_facts
-- description: What enrichment knows about a set of User-Agent strings (browser, OS, device class, automation class, fingerprints).
-- param user_agents: LIST of exact User-Agent strings
SELECT * FROM user_agents WHERE user_agent IN (SELECT unnest(CAST($user_agents AS VARCHAR[])))
