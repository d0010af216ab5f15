"""Virtualizor's API logs and a SolusVM-like "Virtual Server Log" page.

Real samples (../shared/realdata/formats/samples, see its SOURCES.md; not
openly licensed, so not vendored): Virtualizor's admin-API documentation
(Login Logs, User Logs) and pastebin n2AGA1ZU (a VPS client area's server
log, 2011).  The API's records are written one per line as `jq -c` does.
"""

from __future__ import annotations

import json

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files

from conftest import REALDATA

SAMPLES = REALDATA / "formats/samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="needs ../shared/realdata")


def test_solusvm_like_server_log(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(SAMPLES / "solusvm_like/virtual_server_log.pastebin-n2AGA1ZU.txt")],
                              tz="Asia/Bangkok")
        result = report.results[0]
        assert result.format == "solusvm-server-log"
        assert (result.events_parsed, result.lines_rejected) == (15, 2)  # title and column header
        got = case.con.execute("SELECT line_no, strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, ip "
                               "FROM events ORDER BY line_no").fetchall()
    assert got[0] == (3, "2011-04-22T11:39:00", "reinstall", "success", "125.26.145.46")  # 06:39 PM at UTC+7
    assert [r[2] for r in got].count("reinstall") == 3
    assert got[-1][2:] == ("hostname_change", "success", "182.53.121.3")


def test_virtualizor_login_logs(tmp_path):
    doc = json.loads((SAMPLES / "virtualizor/loginlogs.docs.json").read_text())
    path = tmp_path / "loginlogs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in doc["loginlogs"]))
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(path)])
        assert report.results[0].format == "virtualizor-logs-jsonl"
        got = case.con.execute("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, account, ip, tz "
                               "FROM events, sources ORDER BY line_no").fetchall()
    assert got == [("2018-09-11T12:18:21", "login", "success", "root", "192.168.1.188", None),
                   ("2018-09-10T14:25:54", "login", "success", "root", "192.168.1.188", None)]


def test_virtualizor_user_log_record(tmp_path):
    path = tmp_path / "userlogs.jsonl"
    # record 105 of the documentation's User Logs (the stored copy is truncated after it)
    path.write_text('{"actid":"105","uid":"0","vpsid":"3628","action":"start","data":"","time":"1481381700",'
                    '"status":"1","ip":"","email":"root"}\n')
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(path)])
        got = case.con.execute("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, actor, target, status, "
                               "json_extract_string(detail, '$.json_status') FROM events").fetchall()
    assert got == [("2016-12-10T14:55:00", "power_on", "success", "staff", "3628", None, "1")]
