-- name: ip_facts
-- description: What enrichment knows about a set of addresses (prefix, ASN/ISP network, country, anonymiser flags).
-- param ips: LIST of addresses
SELECT * FROM ip_info WHERE ip IN (SELECT unnest(CAST($ips AS VARCHAR[])))
