-- name: geoip_provenance
-- description: The GeoIP databases used to enrich the case, and the notes of each enrichment run (e.g. that no ISP data was available).
SELECT 'database' AS kind, CAST(db_id AS VARCHAR) AS id, database_type, path, build_date, sha256, NULL AS note
FROM geoip_databases
UNION ALL
SELECT 'run', CAST(run_id AS VARCHAR), NULL, NULL, finished_at, NULL, note
FROM enrich_runs
ORDER BY kind, id
