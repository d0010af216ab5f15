-- name: token_requests
-- description: The first access-log request carrying each of the given panel session tokens (cPanel's cpsess... in the URL), with its address and User-Agent: where a session that the panel log names only by its token came from.
-- param sessions: LIST of panel session tokens
-- param since: TIMESTAMPTZ, start of the window (inclusive)
-- param until: TIMESTAMPTZ, end of the window (exclusive)
-- The access log may carry the token in `detail` rather than `session`.
WITH carried AS (
    SELECT e.*, coalesce(e.session, json_extract_string(e.detail, '$.session')) AS token
    FROM evidence_events e
    WHERE e.source_kind = 'http'
      AND e.ts >= CAST($since AS TIMESTAMPTZ) AND e.ts < CAST($until AS TIMESTAMPTZ)
      AND (   e.session IN (SELECT unnest(CAST($sessions AS VARCHAR[])))
           OR json_extract_string(e.detail, '$.session') IN (SELECT unnest(CAST($sessions AS VARCHAR[]))))
)
SELECT *
FROM carried
QUALIFY row_number() OVER (PARTITION BY token ORDER BY ts, source_id, line_no) = 1
ORDER BY ts, source_id, line_no
