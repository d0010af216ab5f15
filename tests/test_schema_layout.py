"""The case layout: events stored by kind behind one `events` view, and a
schema-1 case (one `events` table) opened and answered by this version."""

from __future__ import annotations

import duckdb

from forensics.case import Case
from forensics.ingest.engine import ingest_files
from forensics.schema import DDL, EVENT_COLUMNS

ACCESS = ('203.0.113.9 - alice [10/Oct/2026:13:55:36 +0200] "GET /login HTTP/1.1" 200 512 '
          '"https://example.com/" "Mozilla/5.0"\n'
          '198.51.100.7 - - [10/Oct/2026:13:56:01 +0200] "POST /cart HTTP/1.1" 302 0 "-" "curl/8.0"\n')


def _tables(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("event_rows", "http_events")}


def test_combined_access_log_goes_to_http_events_and_reads_through_events(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(ACCESS)
    case_path = tmp_path / "case.duckdb"
    with Case(case_path) as case:
        [result] = ingest_files(case, [str(log)]).results
        assert (result.status, result.format, result.events_parsed) == ("ingested", "combined", 2)
        assert _tables(case.con) == {"event_rows": 0, "http_events": 2}
        columns = [r[0] for r in case.con.execute("DESCRIBE events").fetchall()]
        assert columns == list(EVENT_COLUMNS)
        row = case.con.execute(
            "SELECT line_no, ts, ip, \"user\", method, path, status, result, port, target, raw "
            "FROM events ORDER BY line_no LIMIT 1").fetchone()
        assert row[0] == 1 and row[1].isoformat() == "2026-10-10T11:55:36+00:00"
        assert row[2:7] == ("203.0.113.9", "alice", "GET", "/login", 200)
        assert row[7:10] == (None, None, None)
        assert row[10] == ACCESS.splitlines()[0]
        cited = case.con.execute("SELECT path, line_no, raw FROM evidence_events WHERE ip = '198.51.100.7'").fetchall()
        assert cited == [(str(log), 2, ACCESS.splitlines()[1])]


def test_account_map_and_times_reach_http_events(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(ACCESS)
    amap = tmp_path / "accounts.csv"
    amap.write_text("field,value,account\nuser,alice,K-1\n")
    with Case(tmp_path / "case.duckdb") as case:
        [result] = ingest_files(case, [str(log)], account_map=str(amap)).results
        assert result.accounts_mapped == 1
        rows = case.con.execute("SELECT line_no, account FROM events ORDER BY line_no").fetchall()
        assert rows == [(1, "K-1"), (2, None)]


def _schema1_case(path, log_line: str) -> None:
    """A case file as version 1 made it: `events` a table (the DDL of then)."""
    con = duckdb.connect(str(path))
    for statement in DDL:
        statement = (statement.replace("CREATE TABLE IF NOT EXISTS event_rows", "CREATE TABLE IF NOT EXISTS events")
                     .replace("ALTER TABLE event_rows", "ALTER TABLE events"))
        if "CREATE TABLE IF NOT EXISTS http_events" in statement or "CREATE OR REPLACE VIEW events" in statement:
            continue
        con.execute(statement)
    con.execute("INSERT INTO case_meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO sources (source_id, path, sha256, format, source_kind, lines_read, events_parsed) "
                "VALUES (1, 'old/access.log', 'ab', 'combined', 'http', 1, 1)")
    con.execute("INSERT INTO events (event_id, source_id, line_no, ts, source_kind, event, ip, raw) VALUES "
                "(1, 1, 1, TIMESTAMPTZ '2026-10-10 11:55:36+00', 'http', 'http_request', '203.0.113.9', $raw)",
                {"raw": log_line})
    con.close()


def test_schema1_case_answers_read_only_and_is_migrated_when_opened_for_writing(tmp_path):
    path = tmp_path / "old.duckdb"
    line = ACCESS.splitlines()[0]
    _schema1_case(path, line)
    with Case.open(path, read_only=True) as case:   # read-only: answered as it is
        assert case.con.execute("SELECT path, line_no, raw FROM evidence_events").fetchall() == [
            ("old/access.log", 1, line)]
    with Case.open(path) as case:                    # writable: its table becomes event_rows
        assert _tables(case.con) == {"event_rows": 1, "http_events": 0}
        assert case.con.execute("SELECT value FROM case_meta WHERE key = 'schema_version'").fetchone() == ("2",)
        assert case.con.execute("SELECT path, line_no, raw, integrity FROM evidence_events").fetchall() == [
            ("old/access.log", 1, line, None)]
        log = tmp_path / "access.log"
        log.write_text(ACCESS)
        [result] = ingest_files(case, [str(log)]).results
        assert result.status == "ingested"
        assert case.con.execute("SELECT event_id, source_id, line_no FROM events ORDER BY event_id").fetchall() == [
            (1, 1, 1), (2, 2, 1), (3, 2, 2)]


def test_filters_reach_both_tables(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(ACCESS)
    with Case(tmp_path / "case.duckdb") as case:
        ingest_files(case, [str(log)])
        case.con.execute("INSERT INTO event_rows (event_id, source_id, line_no, source_kind, account) "
                         "VALUES (9, 1, 9, 'panel', 'K-1')")
        plan = "\n".join(r[1] for r in case.con.execute(
            "EXPLAIN SELECT line_no FROM events WHERE account = 'K-1' AND source_id = 1").fetchall())
        assert case.con.execute("SELECT line_no FROM events WHERE account = 'K-1' AND source_id = 1"
                                ).fetchall() == [(9,)]
    # The filters reach each table's scan (or, where a table's statistics rule
    # every row out, as the all-NULL accounts of the access log do, an empty result):
    # no Filter operator waits above the union.
    assert "Union" in plan and "Seq Scan" in plan, plan
    assert "─ Filter" not in plan, plan
