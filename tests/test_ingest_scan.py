"""The combined log's scan: the address expression and the unwrapped value list give
what the former SQL gave, on hostile lines (rejects, odd addresses, CR, no final newline)."""

from __future__ import annotations

import duckdb

from forensics.case import Case
from forensics.ingest import engine
from forensics.ingest.engine import ingest_files
from forensics.ingest.formats.access import CombinedAccessLog
from forensics.ingest.formats.sqlformat import register_functions

# engine._IP_SQL before it called trim() only on an address with a space.
_IP_SQL_BEFORE = ("CASE WHEN ip IS NULL OR trim(ip) IN ('', '-') THEN NULL "
                  "WHEN contains(ip, ':') OR contains(ip, '[') OR contains(ip, ' ') "
                  "THEN forensics_normalize_ip(ip) ELSE ip END")

_ADDRESSES = [None, "", "-", " - ", "  ", " ", "--", "- -", "203.0.113.7", "203.0.113.7 ", " 203.0.113.7",
              "2001:db8::1", "::ffff:192.0.2.1", "[2001:db8::2]", "0:0:0:0:0:0:0:1", "a b", "x:y", "\t-",
              "-\t", "[", "a" * 40, "2001:0db8:0000:0000:0000:0000:0000:0001"]


def test_ip_sql_gives_the_former_values():
    con = duckdb.connect()
    register_functions(con)
    rows = con.execute(
        f"SELECT ip, {engine._IP_SQL} AS now, {_IP_SQL_BEFORE} AS before FROM (SELECT unnest($a) AS ip)",
        {"a": _ADDRESSES}).fetchall()
    assert len(rows) == len(_ADDRESSES)
    assert [r[1] for r in rows] == [r[2] for r in rows]
    by_address = {r[0]: r[1] for r in rows}
    assert by_address[" - "] is None and by_address["-"] is None and by_address["  "] is None
    assert by_address["203.0.113.7 "] == "203.0.113.7"
    assert by_address["::ffff:192.0.2.1"] == "192.0.2.1"
    assert by_address["[2001:db8::2]"] == "2001:db8::2"
    assert by_address["2001:0db8:0000:0000:0000:0000:0000:0001"] == "2001:db8::1"


_LINES = [
    '198.51.100.1 - bob [10/Oct/2025:13:55:36 +0200] "GET /a?x=1 HTTP/1.1" 200 512 "https://r.example/" "Mozilla/5.0"',
    "garbage line",
    '- - - [10/Oct/2025:13:55:37 +0200] "GET / HTTP/1.0" 200 12 "-" "-"',
    '[::1] - - [10/Oct/2025:13:55:38 +0200] "GET / HTTP/1.0" 200 12 "-" "-"\r',
    '1.2.3.4 - - [99/Foo/2025:13:55:36 +0200] "GET / HTTP/1.0" 200 12 "-" "-"',
    "",
    'vh.example:443 1.2.3.4 - - [10/Oct/2025:13:55:39 +0200] "GET /\\"q HTTP/1.1" 200 1 "-" "a\\"b"',
    '1.2.3.4 - - [10/Oct/2025:13:55:40 +0200] "-" 400 0 "-" "-"',
    '1.2.3.4 - - [10/Oct/2025:13:55:41 +0200] "GET / HTTP/1.1" 200 1 "-" "-" "10.0.0.1" 0.005',
    '1.2.3.4 - - [10/Oct/2025:13:55:42 +0200] "GET / HTTP/1.1" 200 1',
    '2001:db8::1 - - [10/Oct/2025:13:55:43 +0200] "GET / HTTP/1.1" abc 1 "-" "-"',
    "1.2.3.4 - - [10/Oct/2025:13:55:44 +0200] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
]


def _rows(case_path):
    with Case.open(case_path) as case:
        events = case.con.execute("SELECT * FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute("SELECT line_no, reason, raw FROM rejects ORDER BY line_no").fetchall()
    return events, rejects


def test_combined_rows_are_the_same_with_and_without_the_wrappers(tmp_path, monkeypatch):
    log = tmp_path / "access.log"
    log.write_bytes(("\n".join(_LINES)).encode())   # no final newline
    results = {}
    for flag in (True, False):
        monkeypatch.setattr(CombinedAccessLog, "values_null_when_rejected", flag)
        case_path = tmp_path / f"case-{flag}.duckdb"
        report = ingest_files(case_path, [log], format_name="combined")
        result = report.results[0]
        assert (result.lines_read, result.events_parsed, result.lines_rejected, result.lines_blank) == (12, 8, 3, 1)
        results[flag] = _rows(case_path)
    assert results[True] == results[False]
    events, rejects = results[True]
    assert [(r[0], r[1]) for r in rejects] == [(2, "not a combined access log line"),
                                              (5, "no usable timestamp (99/Foo/2025:13:55:36 +0200)"),
                                              (11, "not a combined access log line")]
    assert [r[2] for r in rejects] == [_LINES[1], _LINES[4], _LINES[10]]
    with Case.open(tmp_path / "case-True.duckdb") as case:
        ips = case.con.execute("SELECT line_no, ip, status FROM events ORDER BY line_no").fetchall()
    assert ips == [(1, "198.51.100.1", 200), (3, None, 200), (4, "::1", 200), (7, "1.2.3.4", 200),
                   (8, "1.2.3.4", 400), (9, "1.2.3.4", 200), (10, "1.2.3.4", 200), (12, "1.2.3.4", 200)]


def test_a_real_access_log_is_the_same_with_and_without_the_wrappers(tmp_path, monkeypatch):
    """elastic/examples' apache_logs (real, Apache-2.0; tests/data/access/SOURCE.md): every
    row and reject the same either way, and its first line as logged."""
    from pathlib import Path

    log = Path(__file__).parent / "data" / "access" / "elastic-examples" / "apache_logs"
    results = {}
    for flag in (True, False):
        monkeypatch.setattr(CombinedAccessLog, "values_null_when_rejected", flag)
        case_path = tmp_path / f"case-{flag}.duckdb"
        result = ingest_files(case_path, [log], format_name="combined").results[0]
        assert (result.lines_read, result.events_parsed + result.lines_rejected) == (10_000, 10_000)
        results[flag] = _rows(case_path)
    assert results[True] == results[False]
    with Case.open(tmp_path / "case-True.duckdb") as case:
        first = case.con.execute(
            "SELECT ip, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), method, path, status "
            "FROM events WHERE line_no = 1").fetchone()
    assert first == ("83.149.9.216", "2015-05-17T10:05:03", "GET",
                     "/presentations/logstash-monitorama-2013/images/kibana-search.png", 200)
