-- name: geoip_provenance
-- description: The GeoIP databases used to enrich the case, and the latest enrichment run's note (it describes the whole case after that run, e.g. that no ISP data was available; earlier runs' notes are superseded).
SELECT 'database' AS kind, CAST(db_id AS VARCHAR) AS id, database_type, path, build_date, sha256, NULL AS note
FROM geoip_databases
UNION ALL
SELECT 'run', CAST(run_id AS VARCHAR), NULL, NULL, finished_at, NULL, note
FROM enrich_runs
WHERE run_id = (SELECT max(run_id) FROM enrich_runs)
ORDER BY kind, id
