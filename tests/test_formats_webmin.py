"""Webmin/Virtualmin (issue 12): the actions log /var/webmin/webmin.log, the
web server's miniserv.log, and its syslog login lines.

The actions log's layout is the sprintf of webmin_log() in webmin's
web-lib-funcs.pl (BSD-3-Clause), read the way webmin's own parse_logline()
(webminlog/webminlog-lib.pl) reads it; the instant is the action id's Unix
time, so the bracketed local time needs no zone.
"""

from __future__ import annotations

import json

from forensics.case import Case
from forensics.ingest.engine import ingest_files

ACTIONS = (
    '1773169898.4702.0 [10/Mar/2026 20:11:38] root - 178.128.92.7 global miniserv.pl "failed" "-" "wrongpass"\n'
    '1773169911.4710.0 [10/Mar/2026 20:11:51] root 8d5b1a0c9e7f3b2d 217.235.87.14 global record-login.pl '
    '"login" "-" "-"\n'
    '1773170400.4800.2 [10/Mar/2026 20:20:00] root 8d5b1a0c9e7f3b2d 217.235.87.14 virtual-server '
    'delete_domain.cgi "delete" "domain" "tzimmermann.example" dom=\'tzimmermann.example\'\n'
)
# miniserv.pl's access log with `logclf` on: the common log format
MINISERV = ('217.235.87.14 - root [10/Mar/2026:20:11:51 +0100] "POST /session_login.cgi HTTP/1.1" 302 0\n'
            '217.235.87.14 - root [10/Mar/2026:20:11:52 +0100] "GET /sysinfo.cgi HTTP/1.1" 200 11825\n')


def test_actions_log_and_miniserv_log_are_detected_and_read(tmp_path):
    (tmp_path / "webmin.log").write_text(ACTIONS)
    (tmp_path / "miniserv.log").write_text(MINISERV)
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(tmp_path / "webmin.log"), str(tmp_path / "miniserv.log")])
        assert [(r.format, r.events_parsed, r.lines_rejected) for r in report.results] == [
            ("webmin-actions-log", 3, 0), ("combined", 2, 0)]
        rows = case.con.execute(
            "SELECT CAST(ts AS VARCHAR), source_kind, event, result, \"user\", account, ip, session, detail "
            "FROM events ORDER BY source_id, line_no").fetchall()
    failed, login, delete, req1, req2 = rows
    assert failed[:8] == ("2026-03-10 19:11:38+00", "panel", "login", "failure", "root", "root", "178.128.92.7", None)
    assert json.loads(failed[8])["reason"] == "wrongpass"
    assert login[:8] == ("2026-03-10 19:11:51+00", "panel", "login", "success", "root", "root", "217.235.87.14",
                         "8d5b1a0c9e7f3b2d")
    assert delete[2] == "webmin_action"
    d = json.loads(delete[8])
    assert (d["module"], d["webmin_action"], d["object_type"], d["object"]) == (
        "virtual-server", "delete", "domain", "tzimmermann.example")
    # the access log names the same Webmin user and address, its time in UTC
    assert req1[:7] == ("2026-03-10 19:11:51+00", "http", "http_request", None, "root", None, "217.235.87.14")


# Real miniserv.log lines: posted by a Webmin user in webmin/authentic-theme
# issue #1469 (https://github.com/webmin/authentic-theme/issues/1469, comment
# of 2020-05-02, "this is a part of miniserv.log file"), quoted verbatim as
# test data (issue text: cited, not vendored as a file).  Webmin's default
# log (no `logclf`): the common log format, times with their offset.
MINISERV_REAL = (
    '192.168.1.2 - - [24/Jan/2020:12:50:26 +0000] "GET /unauthenticated/css/bundle.min.css?19399999999999902 '
    'HTTP/1.1" 200 131678\n'
    '192.168.1.9 - - [19/Feb/2020:00:28:33 +0000] "" 403 1175284\n'
    '192.168.1.2 - - [10/Mar/2020:22:37:57 +0000] "GET / HTTP/1.1" 401 4628\n'
    '192.168.1.2 - - [10/Mar/2020:22:37:58 +0000] "GET /images/favicons/webmin/android-chrome-192x192.png '
    'HTTP/1.1" 200 6851\n'
)


def test_real_miniserv_log_lines_are_detected_and_read(tmp_path):
    (tmp_path / "miniserv.log").write_text(MINISERV_REAL)
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(tmp_path / "miniserv.log")])
        rows = case.con.execute(
            'SELECT line_no, CAST(ts AS VARCHAR), source_kind, event, "user", ip, method, path, status, bytes '
            "FROM events ORDER BY line_no").fetchall()
    assert [(r.format, r.events_parsed, r.lines_rejected) for r in report.results] == [("combined", 4, 0)]
    assert rows[0] == (1, "2020-01-24 12:50:26+00", "http", "http_request", None, "192.168.1.2", "GET",
                       "/unauthenticated/css/bundle.min.css?19399999999999902", 200, 131678)
    # a line with an empty request (""), as in the issue: address, status and bytes are kept
    assert rows[1] == (2, "2020-02-19 00:28:33+00", "http", "http_request", None, "192.168.1.9", None, None,
                       403, 1175284)
    # the unauthenticated request for / answered 401 (the login page)
    assert rows[2] == (3, "2020-03-10 22:37:57+00", "http", "http_request", None, "192.168.1.2", "GET", "/",
                       401, 4628)
