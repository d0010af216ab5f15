"""Enrichment after a real ingest: the zanbil access log through `Case.ingest`."""

from __future__ import annotations

import pytest

from forensics.case import Case


@pytest.fixture(scope="module")
def zanbil_case(tmp_path_factory, realdata):
    path = tmp_path_factory.mktemp("zanbil") / "case.duckdb"
    case = Case.open(path)
    report = case.ingest(
        realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0",
        geoip_paths=[realdata / "maxmind" / "test-data" / "GeoLite2-ASN-Test.mmdb"],
    )
    yield case, report
    case.close()


def test_ingest_runs_enrichment_when_a_database_is_given(zanbil_case):
    case, report = zanbil_case
    distinct_uas, distinct_ips = case.con.execute(
        "SELECT count(DISTINCT user_agent), count(DISTINCT ip) FROM events"
    ).fetchone()
    assert report.enrichment is not None
    assert (report.enrichment.new_user_agents, report.enrichment.new_ips) == (distinct_uas, distinct_ips)
    assert case.con.execute("SELECT count(*) FROM user_agents").fetchone() == (distinct_uas,)
    assert case.con.execute("SELECT count(*), count(*) FILTER (WHERE is_valid) FROM ip_info").fetchone() == (
        distinct_ips,
        distinct_ips,
    )
    assert case.con.execute("SELECT geoip_db_ids FROM enrich_runs").fetchall() == [("1",)]


def test_first_line_joined_with_its_facts(zanbil_case):
    # line 1: 54.36.149.41 ... "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)"
    case, _ = zanbil_case
    row = case.con.execute(
        "SELECT e.ip, i.prefix, i.is_private, u.automation_class, u.automation_tool, u.device_class, u.is_bot "
        "FROM events e JOIN ip_info i ON i.ip = e.ip JOIN user_agents u ON u.user_agent = e.user_agent "
        "WHERE e.line_no = 1"
    ).fetchone()
    assert row == ("54.36.149.41", "54.36.149.0/24", False, "crawler", "AhrefsBot", "bot", True)


def test_line_two_is_a_mobile_chrome(zanbil_case):
    # line 2: 31.56.96.51, Chrome 66 on Android 6.0 (Huawei ALE-L21)
    case, _ = zanbil_case
    row = case.con.execute(
        "SELECT u.browser_family, u.browser_major, u.os_family, u.os_version, u.device_class, u.automation_class, "
        "u.fingerprint_family FROM events e JOIN user_agents u USING (user_agent) WHERE e.line_no = 2"
    ).fetchone()
    assert row == ("Chrome Mobile", "66", "Android", "6.0", "mobile", "browser", "Chrome Mobile|Android|mobile")
