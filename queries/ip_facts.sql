-- name: ip_facts
-- description: What enrichment knows about a set of addresses (prefix, ASN/ISP network, country, anonymiser flags).
-- param ips: LIST of addresses
-- The list reaches the scan as a filter on `ip`, the primary key: its index finds
-- the rows (`ip IN (SELECT unnest(...))`, a join, read the key column of every
-- row group the list's range spans; 0.031 -> 0.024 CPU-s for 178 addresses, first call).
SELECT * FROM ip_info WHERE list_contains(CAST($ips AS VARCHAR[]), ip)
