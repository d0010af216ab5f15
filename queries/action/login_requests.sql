-- name: login_requests
-- description: The web server's login requests (POST to one of the panel's login paths, answered 200) within seconds of each given panel login whose own line names no address (Proxmox's pvedaemon), on the same host where both logs name one, with how many successful panel logins of any account fell in the same seconds.
-- param logins: LIST of event ids of the panel logins
-- param paths: LIST of login request paths (without query string)
-- param seconds: how far apart (either way) the request and the login may lie
WITH l AS (
    SELECT event_id AS login_id, ts AS login_ts, host AS login_host
    FROM events
    WHERE event_id IN (SELECT unnest(CAST($logins AS BIGINT[])))
)
SELECT l.login_id, h.*,
       (SELECT count(*) FROM events o
        WHERE o.source_kind = 'panel' AND o.event = 'login' AND o.result = 'success'
          AND o.ts BETWEEN l.login_ts - to_seconds(CAST($seconds AS DOUBLE))
                       AND l.login_ts + to_seconds(CAST($seconds AS DOUBLE))
          AND (o.host IS NULL OR l.login_host IS NULL OR o.host = l.login_host)) AS logins_nearby
FROM l
JOIN evidence_events h
  ON h.source_kind = 'http' AND upper(h.method) = 'POST' AND h.status = 200
 AND split_part(h.http_path, '?', 1) IN (SELECT unnest(CAST($paths AS VARCHAR[])))
 AND h.ts BETWEEN l.login_ts - to_seconds(CAST($seconds AS DOUBLE))
              AND l.login_ts + to_seconds(CAST($seconds AS DOUBLE))
 AND (h.host IS NULL OR l.login_host IS NULL OR h.host = l.login_host)
ORDER BY l.login_id, h.ts, h.source_id, h.line_no
