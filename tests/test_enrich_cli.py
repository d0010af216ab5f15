"""`forensics enrich`: thin command over enrich_case."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main


@pytest.fixture
def case_with_events(case_path):
    with Case.open(case_path) as case:
        case.con.executemany(
            "INSERT INTO event_rows (event_id, source_id, line_no, ip, user_agent) VALUES (?, 1, ?, ?, ?)",
            [
                (1, 1, "1.128.0.1", "curl/8.4.0"),
                (2, 2, "81.2.69.142", "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)"),
                (3, 3, "not-an-address", None),
            ],
        )
    return case_path


@pytest.fixture
def mmdb(realdata):
    return realdata / "maxmind" / "test-data"


def test_enrich_with_databases_prints_counts_and_provenance(case_with_events, mmdb, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    result = CliRunner().invoke(
        main,
        ["enrich", str(case_with_events), "--geoip", str(mmdb / "GeoLite2-ASN-Test.mmdb"),
         "--geoip", str(mmdb / "GeoIP2-City-Test.mmdb")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "user agents: 2 new" in result.output
    assert "addresses:   3 new (1 not valid IP addresses" in result.output
    assert "[1] GeoLite2-ASN built 2026-02-04" in result.output
    assert "[2] GeoIP2-City built 2026-02-04" in result.output
    with Case.open(case_with_events, read_only=True) as case:
        assert case.con.execute("SELECT asn, city FROM ip_info WHERE ip = '1.128.0.1'").fetchone() == (1221, None)
        assert case.con.execute("SELECT city FROM ip_info WHERE ip = '81.2.69.142'").fetchone() == ("London",)


def test_enrich_without_databases_says_so(case_with_events, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    monkeypatch.delenv("FORENSICS_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["enrich", str(case_with_events)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "GeoIP databases: none" in result.output
    assert "note: no GeoIP database given" in result.output


def test_enrich_uses_forensics_geoip(case_with_events, mmdb, monkeypatch):
    monkeypatch.setenv("FORENSICS_GEOIP", str(mmdb / "GeoIP2-ISP-Test.mmdb"))
    result = CliRunner().invoke(main, ["enrich", str(case_with_events)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "GeoIP2-ISP built 2026-02-04" in result.output


def test_broken_database_is_one_sentence_no_traceback(case_with_events, mmdb):
    broken = mmdb / "GeoIP2-City-Test-Broken-Double-Format.mmdb"
    result = CliRunner().invoke(main, ["enrich", str(case_with_events), "--geoip", str(broken)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"GeoIP database {broken} (GeoIP2-City) is damaged" in result.output
    with Case.open(case_with_events, read_only=True) as case:
        assert case.con.execute("SELECT count(*) FROM enrich_runs").fetchone() == (0,)


def test_missing_case_file(tmp_path):
    result = CliRunner().invoke(main, ["enrich", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 1
    assert "case file not found" in result.output
    assert not (tmp_path / "nope.duckdb").exists()
