"""cPanel & WHM account operations and API calls: accounting.log, api_log,
api_tokens_log.  The sample lines are cPanel's own documentation examples
("The cPanel & WHM Log Files", quoted in ../shared/realdata/formats/samples/cpanel;
no open licence, so not vendored); the SUSPEND line follows the field order of
cPanel's scripts/suspendacct."""

from __future__ import annotations

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files

from conftest import REALDATA

SAMPLES = REALDATA / "formats/samples/cpanel"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="needs ../shared/realdata (cPanel docs quotes)")


def test_accounting_log_with_zone(tmp_path):
    log = tmp_path / "accounting.log"
    log.write_text((SAMPLES / "accounting.log.docs.log").read_text()
                   + "Tue Mar  3 09:14:02 2026:SUSPEND:resellerjo:root:tzimmer:tzimmermann.example:Nonpayment\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(log)], tz="America/Chicago")
        assert report.results[0].format == "cpanel-accounting"
        rows = case.con.execute(
            "SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, account, target, \"user\", actor "
            "FROM events ORDER BY line_no").fetchall()
        assert case.con.execute("SELECT tz, tz_assumed FROM sources").fetchall() == [("America/Chicago", False)]
    assert rows == [
        ("2015-06-11T18:33:19", "reseller_create", "example", "example.com", "root", "staff"),   # CDT = UTC-5
        ("2015-10-30T17:57:29", "owner_change", "example", "example.com", "root", "staff"),
        ("2026-03-03T15:14:02", "suspend", "tzimmer", "tzimmermann.example", "resellerjo", "staff"),  # CST = UTC-6
    ]


def test_api_logs(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(SAMPLES / "api_log.docs.log"), str(SAMPLES / "api_tokens_log.docs.log")])
        assert [r[0] for r in case.con.execute("SELECT format FROM sources ORDER BY source_id").fetchall()] == [
            "cpanel-api-log", "cpanel-api-log"]
        rows = case.con.execute(
            "SELECT source_id, strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, account, actor, session, "
            "json_extract_string(detail, '$.api_call'), path FROM events ORDER BY source_id, line_no").fetchall()
    assert rows[0] == (1, "2022-07-12T20:18:52", "api_call", "cptest", "customer", "cpsess1777148931",
                       "Themes::list", "/cpsess1777148931/execute/Themes/list")
    assert len(rows) == 4
    assert rows[3][:5] == (2, "2017-02-08T01:07:13", "api_call", "kingrichard", "api")


def test_access_log_user_is_the_account_and_api_calls_name_theirs(tmp_path):
    """pastebin 6ESpSk2j: root's WHM json-api call on behalf of cPanel user suppo137."""
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(SAMPLES / "access_log.pastebin-6ESpSk2j.log")])
        assert report.results[0].format == "cpanel-access"
        row = case.con.execute(
            "SELECT \"user\", account, json_extract_string(detail, '$.api_function'), "
            "json_extract_string(detail, '$.api_user'), json_extract_string(detail, '$.server_port') "
            "FROM events WHERE path LIKE '/json-api/cpanel?%' ORDER BY line_no LIMIT 1").fetchall()
    assert row == [("root", "root", "cpanel", "suppo137", "2087")]
