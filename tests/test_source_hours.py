"""The per-source, per-hour table written at ingest (`source_hours`) and the
coverage gaps found in it: same answer as a pass over every event, also for
case files made before the table existed (read-only and writable opens)."""

import shutil

import duckdb

from forensics.case import Case
from forensics.config import load_config
from forensics.investigate.coverage import Coverage
from forensics.named_queries import get_query

# Elastic's examples: 10,000 lines of a real Apache access log (Apache-2.0, tests/data/access/elastic-examples).
APACHE = "access/elastic-examples/apache_logs"
OLD_GAPS = """
WITH hours AS (
    SELECT source_id, epoch_us(ts) // 3600000000 AS h, min(ts) AS first_ts, max(ts) AS last_ts
    FROM events WHERE ts IS NOT NULL GROUP BY ALL
), steps AS (
    SELECT source_id, last_ts AS gap_start, lead(first_ts) OVER (PARTITION BY source_id ORDER BY h) AS gap_end
    FROM hours
)
SELECT source_id, gap_start, gap_end FROM steps
WHERE gap_end IS NOT NULL AND epoch(gap_end - gap_start) > $hours * 3600 ORDER BY ALL
"""


def _ingested(tmp_path, realdata):
    path = tmp_path / "case.duckdb"
    with Case(path) as case:
        case.ingest([str(realdata / APACHE)])
    return path


def test_ingest_writes_each_hour_of_the_file(tmp_path, realdata):
    with Case.open(_ingested(tmp_path, realdata), read_only=True) as case:
        rows = case.con.execute("SELECT hour_start::VARCHAR, first_ts::VARCHAR, last_ts::VARCHAR, events "
                                "FROM source_hours WHERE source_id = 1 ORDER BY hour_start").fetchall()
        first_last = case.con.execute("SELECT first_ts::VARCHAR, last_ts::VARCHAR FROM sources").fetchall()[0]
    # The earliest request is line 15 (83.149.9.216 - - [17/May/2015:10:05:00 +0000], logged after
    # line 1's 10:05:03: Apache writes a request when it ends); the latest is line 9927 (66.249.73.135 - -
    # [20/May/2015:21:05:59 +0000] "GET /blog/tags/wine ...), not the last line's 21:05:15
    assert rows[0][:2] == ("2015-05-17 10:00:00+00", "2015-05-17 10:05:00+00")
    assert rows[-1][0] == "2015-05-20 21:00:00+00" and rows[-1][2] == "2015-05-20 21:05:59+00"
    assert first_last == ("2015-05-17 10:05:00+00", "2015-05-20 21:05:59+00")
    # every event: 10,000 lines, of which line 8899 (46.118.127.106 ... "GET /scripts/grok-py-test/confi...) is a reject
    assert sum(r[3] for r in rows) == 9_999
    assert len(rows) == 84   # 10:00 on the 17th to 21:00 on the 20th, every hour with requests


def _gaps(case, hours):
    config = load_config()
    config["coverage"]["max_gap_hours"] = hours
    return [(g.source_id, g.start, g.end) for s in Coverage(case, config).sources for g in s.gaps]


def test_gaps_from_the_table_equal_a_pass_over_the_events(tmp_path, realdata):
    with Case.open(_ingested(tmp_path, realdata), read_only=True) as case:
        old = case.con.execute(OLD_GAPS, {"hours": 0.25}).fetchall()
        assert len(old) > 3   # the sample has quiet quarter hours at night
        assert _gaps(case, 0.25) == [tuple(r) for r in old]


def test_a_case_file_from_before_the_table(tmp_path, realdata):
    path = _ingested(tmp_path, realdata)
    with Case.open(path, read_only=True) as case:
        expected = _gaps(case, 0.25)
        stored = case.con.execute("SELECT * FROM source_hours ORDER BY ALL").fetchall()
    old = tmp_path / "old.duckdb"
    shutil.copy(path, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE source_hours")   # as written by a version without it
    con.close()
    with Case.open(old, read_only=True) as case:   # computed for this connection only
        assert _gaps(case, 0.25) == expected
    con = duckdb.connect(str(old), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'source_hours'").fetchall() == [(0,)]
    con.close()
    with Case.open(old) as case:   # a writable open stores them
        assert case.con.execute("SELECT * FROM source_hours ORDER BY ALL").fetchall() == stored
        assert _gaps(case, 0.25) == expected


def test_the_query_is_the_one_ingest_runs(tmp_path, realdata):
    with Case.open(_ingested(tmp_path, realdata), read_only=True) as case:
        computed = case.con.execute(get_query("source_hours").sql, {"source_ids": [1]}).fetchall()
        stored = case.con.execute("SELECT * FROM source_hours ORDER BY source_id, hour_start").fetchall()
    assert computed == stored
