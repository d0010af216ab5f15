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


def test_plain_detail_constants_are_what_json_object_writes():
    """The combined log's constant details, byte for byte json_object's text for the same values."""
    from forensics.ingest.formats.access import PLAIN_PROTOCOLS, plain_detail

    con = duckdb.connect()
    built = con.execute(
        "SELECT p, json_object('protocol', p, 'ident', NULL::VARCHAR, 'vhost', NULL::VARCHAR, "
        "'x_forwarded_for', NULL::VARCHAR, 'request_time', NULL::DOUBLE)::VARCHAR "
        "FROM (SELECT unnest($p) AS p)", {"p": list(PLAIN_PROTOCOLS)}).fetchall()
    assert len(built) == len(PLAIN_PROTOCOLS) == 4
    assert all(text == plain_detail(p) for p, text in built)
    assert plain_detail("HTTP/1.1") == ('{"protocol":"HTTP/1.1","ident":null,"vhost":null,'
                                        '"x_forwarded_for":null,"request_time":null}')
    assert plain_detail(None).startswith('{"protocol":null,"ident":null,')


# Lines whose detail is almost the plain one: an ident, a vhost, an X-Forwarded-For
# ('-', '', a value), a request time, other protocols, quotes, backslashes, control
# characters, invalid UTF-8 and non-ASCII text in request, referrer and User-Agent.
_DETAIL_LINES = [
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/2.0" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.0" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/3" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / http/1.1" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1 " 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET /HTTP/1.1" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "-" 400 0 "-" "-"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "" 400 0 "-" "-"',
    '198.51.100.1 ident7 - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8"',
    'vh.example:443 198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" "-"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" ""',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" "10.0.0.1, 10.0.0.2"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" 0.004',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" "-" 1234',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET /\\"x\\\\ HTTP/1.1" 200 5 "-" "a\\"b\\\\c"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1\\"" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.\\x31" 200 5 "-" "curl/8"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/\x01\x1f" 200 5 "\x02" "\x7f\x1b[0m"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET /é HTTP/1.1é" 200 5 "https://ü.example/" "Mözilla ✓"',
    '198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "x\\xff\\xfe"',
    '198.51.100.1 - \\"bob [10/Oct/2025:13:55:36 +0200] "GET / HTTP/1.1" 200 5 "-" "-"\r',
    '[2001:db8::1] - - [10/Oct/2025:13:55:36 +0200] "GET / HTTP/2.0" 200 5 "-" "-"',
    'not a line',
]


def test_combined_detail_is_the_same_with_and_without_the_constants(tmp_path, monkeypatch):
    """Every row and reject of lines around the plain shape (and invalid UTF-8, gzip,
    CRLF) the same whether detail is a constant or built by json_object."""
    import gzip

    text = "\n".join(_DETAIL_LINES).encode() + b"\n"
    bad = b'198.51.100.1 - - [10/Oct/2025:13:55:36 +0200] "GET /\xff HTTP/1.1" 200 5 "-" "\xc3("\n'
    (tmp_path / "plain.log").write_bytes(text + bad)
    (tmp_path / "crlf.log.gz").write_bytes(gzip.compress(text.replace(b"\n", b"\r\n") + bad))
    results, reports = _with_and_without_detail_constants(
        tmp_path, monkeypatch, [tmp_path / "plain.log", tmp_path / "crlf.log.gz"])
    for report in reports:
        assert [(r.lines_read, r.events_parsed, r.lines_rejected) for r in report.results] == [(27, 26, 1), (27, 25, 2)]
    assert results[True] == results[False]
    # The CRLF copy of the line that ends in CR ends in CR after its CRLF is cut.
    assert [r[:3] for r in results[True][1]] == [(1, 26, "not a combined access log line"),
                                                 (2, 24, "not a combined access log line"),
                                                 (2, 26, "not a combined access log line")]
    assert results[True][1][1][3] == _DETAIL_LINES[23]
    details = [row[-1] for row in results[True][0] if row[1] == 1]
    assert details[0] == ('{"protocol":"HTTP/1.1","ident":null,"vhost":null,"x_forwarded_for":null,'
                          '"request_time":null}')
    assert details[3].startswith('{"protocol":"HTTP/3","ident":null,')
    assert details[7].startswith('{"protocol":null,"ident":null,')
    assert details[9].startswith('{"protocol":"HTTP/1.1","ident":"ident7","vhost":null,')
    assert '"vhost":"vh.example:443"' in details[10]
    assert details[11].endswith('"x_forwarded_for":null,"request_time":null}')
    assert details[13].endswith('"x_forwarded_for":"10.0.0.1, 10.0.0.2","request_time":null}')
    assert details[14].endswith('"request_time":0.004}')
    assert details[18].startswith('{"protocol":"HTTP/1.1\\"","ident":null,')
    assert details[19].startswith('{"protocol":"HTTP/1.1","ident":null,')
    assert details[20].startswith('{"protocol":"HTTP/\\u0001\\u001F","ident":null,')
    assert details[21].startswith('{"protocol":"HTTP/1.1é","ident":null,')
    assert details[24] == details[1]


def _with_and_without_detail_constants(tmp_path, monkeypatch, paths):
    """{flag: (events with detail as text, rejects)} of `paths` ingested with the access
    format's detail constants on and off, and the two ingest reports."""
    results, reports = {}, []
    for flag in (True, False):
        monkeypatch.setattr(CombinedAccessLog, "plain_detail_constants", flag)
        case_path = tmp_path / f"case-{flag}.duckdb"
        reports.append(ingest_files(case_path, paths, format_name="combined"))
        with Case.open(case_path) as case:
            results[flag] = (
                case.con.execute("SELECT * EXCLUDE (detail), detail::VARCHAR FROM events "
                                 "ORDER BY source_id, line_no").fetchall(),
                case.con.execute("SELECT source_id, line_no, reason, raw FROM rejects ORDER BY ALL").fetchall())
    return results, reports


def test_real_access_logs_have_the_same_rows_with_and_without_the_detail_constants(tmp_path, monkeypatch, realdata):
    """The three real access logs in tests/data (elastic apache_logs, lnav's zanbil
    shop log with X-Forwarded-For, plaso's with vhost and escapes)."""
    logs = [realdata / "access" / "elastic-examples" / "apache_logs",
            realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0",
            realdata / "access" / "plaso" / "apache_access.log"]
    results, _ = _with_and_without_detail_constants(tmp_path, monkeypatch, logs)
    assert results[True] == results[False]
    assert len(results[True][0]) > 11_000
    details = {}
    for row in results[True][0]:
        details.setdefault(row[1], []).append(row[-1])
    assert details[1][0] == ('{"protocol":"HTTP/1.1","ident":null,"vhost":null,"x_forwarded_for":null,'
                             '"request_time":null}')


_REQUESTS = [None, "", "-", " ", "  ", "GET", "GET ", " GET", "GET /", "GET / HTTP/1.1", "GET /a b HTTP/1.1",
             "GET  HTTP/1.1", "GET /  HTTP/1.1", " / HTTP/1.1", "GET / HTTP/1.1 ", "GET / http/1.1", "GET / HTTP/",
             "GET /HTTP/1.1", "HTTP/1.1", "GET HTTP/1.1", "a b c d", "GET / X HTTP/2.0", "GET /é HTTP/1.1é",
             "ПОЛУЧИТЬ /путь HTTP/1.1", "GET /x\tHTTP/1.1", "GET /\"q\\ HTTP/1.0", "GET / HTTP/1.1\x00",
             "\x01 \x02 HTTP/\x03", "GET ✓ HTTP/3", "GET /a%20b?c=d&e HTTP/2.0", "GET / HTTP/1.1 HTTP/1.1"]


def test_three_word_requests_are_cut_as_before():
    """Method, path and protocol from the request's three words (where there are
    three and the last starts with HTTP/) are what the cut by position gave, for
    every request (spaces, no spaces, empty words, non-ASCII, control characters)."""
    from forensics.ingest.formats.access import (_request_parts_sql, _request_three_words_sql,
                                                 _request_words_sql)

    con = duckdb.connect()
    before = con.execute(f"SELECT request, {_request_parts_sql('request')} FROM (SELECT *, "
                         f"{_request_words_sql('request')} FROM (SELECT unnest($r) AS request, "
                         "generate_subscripts($r, 1) AS i)) ORDER BY i", {"r": _REQUESTS}).fetchall()
    now = con.execute(f"SELECT request, {_request_three_words_sql('request', 'w')} FROM (SELECT *, "
                      "string_split(request, ' ') AS w FROM (SELECT unnest($r) AS request, "
                      "generate_subscripts($r, 1) AS i)) ORDER BY i", {"r": _REQUESTS}).fetchall()
    assert len(now) == len(_REQUESTS)
    assert now == before
    parts = {row[0]: row[1:] for row in now}
    assert parts["GET / HTTP/1.1"] == ("GET", "/", "HTTP/1.1")
    assert parts["GET /a b HTTP/1.1"] == ("GET", "/a b", "HTTP/1.1")
    assert parts["GET  HTTP/1.1"] == ("GET", "", "HTTP/1.1")
    assert parts["GET / HTTP/1.1 "] == ("GET", "/ HTTP/1.1 ", None)
    assert parts["GET HTTP/1.1"] == ("GET", "HTTP/1.1", None)
    assert parts["ПОЛУЧИТЬ /путь HTTP/1.1"] == ("ПОЛУЧИТЬ", "/путь", "HTTP/1.1")
    assert parts["-"] == (None, None, None) and parts[None] == (None, None, None)
