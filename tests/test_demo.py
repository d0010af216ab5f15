"""The demo: the sample generator, its GeoIP databases, and `forensics demo` end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
from pathlib import Path

import pytest

from forensics.demo.generator import DEFAULT_END, generate_sample

UTC = dt.timezone.utc
COMBINED = re.compile(
    r'^(?P<ip>\S+) - (?P<user>\S+) \[(?P<ts>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
    r'"(?P<method>GET|POST) (?P<path>\S+) HTTP/(?:1\.1|2\.0)" (?P<status>\d{3}) (?P<bytes>\d+) '
    r'"(?P<referrer>[^"]*)" "(?P<ua>[^"]*)"$')
SYSLOG = re.compile(r"^(?P<mon>\w{3}) [ \d]\d \d\d:\d\d:\d\d (?P<host>\S+) sshd\[\d+\]: (?P<msg>.+)$")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    """Three accounts over the default 15 months: both scripted disputes, few lines."""
    return generate_sample(tmp_path_factory.mktemp("sample"), accounts=3)


def _panel(manifest):
    with open(manifest.panel_log, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# -- the generator ------------------------------------------------------------
def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate_sample(tmp_path / "a", accounts=4, months=2, seed=7)
    b = generate_sample(tmp_path / "b", accounts=4, months=2, seed=7)
    c = generate_sample(tmp_path / "c", accounts=4, months=2, seed=8)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["GeoLite2-ASN-demo.mmdb", "GeoLite2-City-demo.mmdb", "auth.log", "mail.log", "manifest.json",
                     "panel-access.log", "panel-audit.jsonl", "tickets.jsonl"]
    for name in names:
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name
    assert a.counts == b.counts
    assert _sha(a.access_log) != _sha(c.access_log)
    # Two months before the default end, no scripted disputes in that period.
    assert a.period == (dt.datetime(2026, 2, 15, tzinfo=UTC), DEFAULT_END)
    assert a.disputes == []


def test_counts_and_time_order(small_sample):
    start, end = small_sample.period
    assert (start, end) == (dt.datetime(2025, 1, 15, tzinfo=UTC), dt.datetime(2026, 4, 15, tzinfo=UTC))
    for path in small_sample.log_files:
        with open(path, encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        assert n == small_sample.counts[path.name] > 1000, path.name
    panel_ts = [dt.datetime.fromisoformat(r["ts"]) for r in _panel(small_sample)]
    assert panel_ts == sorted(panel_ts)
    assert start <= panel_ts[0] and panel_ts[-1] < end


def test_access_log_is_combined_format_with_click_streams(small_sample):
    lines = small_sample.access_log.read_text(encoding="utf-8").splitlines()
    parsed = [COMBINED.match(line) for line in lines]
    assert all(parsed), next(line for line, m in zip(lines, parsed) if not m)
    times = [dt.datetime.strptime(m["ts"], "%d/%b/%Y:%H:%M:%S %z") for m in parsed]
    assert times == sorted(times)
    paths = {m["path"] for m in parsed}
    # Pages, the assets they load, the confirmation step, bots.
    assert {"/login", "/dashboard", "/static/css/panel.css?v=4.12", "/favicon.ico", "/wp-login.php"} <= paths
    assert any(p.endswith("/reinstall/confirm") for p in paths)
    bots = [m for m in parsed if m["ua"] == "python-requests/2.31.0" and m["path"] == "/login"]
    assert bots and all(m["method"] == "POST" for m in bots)


def test_auth_log_is_yearless_syslog_with_mtime_at_the_end(small_sample):
    lines = small_sample.auth_log.read_text(encoding="utf-8").splitlines()
    parsed = [SYSLOG.match(line) for line in lines]
    assert all(parsed)
    assert {m["host"] for m in parsed} == {small_sample.auth_log_host}
    messages = [m["msg"] for m in parsed]
    assert any(m.startswith("Failed password for invalid user ") for m in messages)
    assert any(m.startswith("Accepted publickey for root from 217.235.") for m in messages)
    # Year-less lines: ingest takes the year from the file's mtime.
    assert os.stat(small_sample.auth_log).st_mtime == DEFAULT_END.timestamp()
    assert lines[0].startswith("Jan 15 ") and lines[-1].startswith("Apr 14 ")


def test_founding_story_events(small_sample):
    dispute = small_sample.dispute("account_holder")
    events = [r for r in _panel(small_sample) if r["account"] == dispute.account]
    rescue = [r for r in events if r["event"] == "rescue_enable"]
    reinstalls = [r for r in events if r["event"] == "reinstall"]
    assert [r["ts"][:10] for r in rescue] == ["2025-03-19"]
    assert [(r["ts"][:10], r["detail"]["os"]) for r in reinstalls] == [
        ("2025-03-20", "openSUSE Leap 15.6"), ("2026-03-22", "CentOS Stream 9")]
    disputed = reinstalls[-1]
    assert dispute.action_time == dt.datetime.fromisoformat(disputed["ts"])
    assert dispute.target == disputed["target"] == small_sample.auth_log_host
    login = next(r for r in events if r["event"] == "login" and r.get("session") == disputed["session"])
    assert login["result"] == "success" and login["auth"] == "password"
    assert login["ip"].startswith("217.235.87.")
    # No failed login for the account in the week before, and the same
    # browser string as his logins of the weeks before.
    week = dispute.action_time - dt.timedelta(days=7)
    assert not [r for r in events if r["event"] == "login" and r["result"] == "failure"
                and week <= dt.datetime.fromisoformat(r["ts"]) <= dispute.action_time]
    earlier = [r for r in events if r["event"] == "login" and r["result"] == "success"
               and dt.datetime.fromisoformat(r["ts"]) < dispute.action_time - dt.timedelta(days=2)]
    assert earlier[-1]["user_agent"] == disputed["user_agent"]
    assert {re.sub(r"(rv:|Firefox/)\d+", r"\1N", r["user_agent"]) for r in earlier} == {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:N.0) Gecko/20100101 Firefox/N.0"}
    assert [c.classification for c in dispute.expected_claims] == ["different_year", "different_year",
                                                                   "off_by_days"]


def test_takeover_story_events(small_sample):
    dispute = small_sample.dispute("compromise_suspected")
    events = [r for r in _panel(small_sample) if r["account"] == dispute.account
              and r["ts"].startswith("2026-04-02") and r["actor"] == "customer"]
    kinds = [(r["event"], r["result"]) for r in events]
    assert kinds[:4] == [("password_reset_request", "success"), ("password_reset", "success"),
                         ("login", "success"), ("reinstall", "success")]
    attacker_ip = events[0]["ip"]
    assert ipaddress.ip_address(attacker_ip) in ipaddress.ip_network("128.199.0.0/16")
    assert all(r["ip"] == attacker_ip for r in events[:4])
    minutes = (dt.datetime.fromisoformat(events[3]["ts"]) - dt.datetime.fromisoformat(events[0]["ts"]))
    assert minutes < dt.timedelta(minutes=10)
    # The attacker's network and browser were never seen on the account before.
    before = [r for r in _panel(small_sample) if r["account"] == dispute.account
              and r["ts"] < events[0]["ts"] and r.get("ip")]
    assert before and not any(r["ip"].startswith("128.199.") for r in before)
    assert not any(r.get("user_agent") == events[0]["user_agent"] for r in before)
    # In the morning the holder's password fails.
    assert ("login", "failure") in kinds[4:]


def test_geoip_databases_cover_every_address(small_sample):
    import geoip2.database

    asn_path, city_path = small_sample.geoip_db
    asn = geoip2.database.Reader(str(asn_path))
    city = geoip2.database.Reader(str(city_path))
    assert asn.metadata().database_type == "GeoLite2-ASN"
    assert city.metadata().database_type == "GeoLite2-City"
    assert asn.metadata().build_epoch == int(DEFAULT_END.timestamp())
    ips = {r["ip"] for r in _panel(small_sample) if r.get("ip")}
    ips |= {line.split(" ", 1)[0] for line in small_sample.access_log.read_text().splitlines()}
    public = {ip for ip in ips if not ipaddress.ip_address(ip).is_private}
    assert all(ip.startswith("10.20.") for ip in ips - public)   # the staff VPN only
    for ip in sorted(public):
        assert asn.asn(ip).autonomous_system_number, ip
        assert city.city(ip).country.iso_code, ip
    home = asn.asn("217.235.87.31")
    assert (home.autonomous_system_number, home.autonomous_system_organization, str(home.network)) == (
        3320, "Deutsche Telekom AG", "217.224.0.0/11")
    attacker = city.city(small_sample.dispute("compromise_suspected").action_time and "128.199.12.34")
    assert (attacker.country.iso_code, attacker.city.name) == ("SG", "Singapore")


def test_scaling_knob_changes_volume(tmp_path):
    light = generate_sample(tmp_path / "light", accounts=40, months=1, seed=1)
    heavy = generate_sample(tmp_path / "heavy", accounts=40, months=1, seed=1, events_per_account_month=600)
    customers = {k: v for k, v in heavy.counts.items() if k != "auth.log"}   # the sshd log is bots
    assert sum(customers.values()) > 3 * (light.counts["panel-access.log"] + light.counts["panel-audit.jsonl"])
    assert 400 < sum(customers.values()) / 40 < 900


# -- `forensics demo` end to end ------------------------------------------------
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    from click.testing import CliRunner

    from forensics.cli import main

    directory = tmp_path_factory.mktemp("demo") / "forensics-demo"
    result = CliRunner().invoke(main, ["demo", str(directory)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return directory, result.output


def test_demo_prints_steps_assessments_and_reports(demo_run):
    directory, output = demo_run
    for step in ("generate", "ingest", "enrich", "investigate", "report"):
        assert re.search(rf"^{step}\s+\d+\.\d s  ", output, re.M), step
    founding = output[output.index("K-10023 ("):output.index("K-10188 (")]
    takeover = output[output.index("K-10188 ("):]
    assert "reinstall of vps-20889 at 2026-03-22T20:09:38+00:00" in founding
    assert "assessment: account_holder  (expected: account_holder)" in founding
    assert "assessment: compromise_suspected  (expected: compromise_suspected)" in takeover
    assert re.search(r"^  reason: \S.+$", founding, re.M) and re.search(r"^  reason: \S.+$", takeover, re.M)
    for account in ("K-10023", "K-10188"):
        pdf = directory / f"report-{account}.pdf"
        assert f"report: {pdf}\n  SHA-256: {hashlib.sha256(pdf.read_bytes()).hexdigest()}\n" in output
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    # No DD.MM. or MM/DD date of ours in the output (the claims quote the customer).
    ours = "\n".join(line for line in output.splitlines() if not line.lstrip().startswith("claim "))
    assert not re.search(r"\b\d{1,2}\.\d{1,2}\.(\d{2,4})?(?!\d)|\b\d{1,2}/\d{1,2}/\d{2,4}\b", ours)


def _stable(text: str, directory) -> list[str]:
    """The demo output's lines without what differs between runs."""
    # Timings vary, and the PDFs name the case file's path (a temporary one here).
    text = text.replace(str(directory), "forensics-demo")
    text = re.sub(r"SHA-256: [0-9a-f]{64}", "SHA-256: ...", text)
    # The investigation's wording may be polished; its codes may not change.
    text = re.sub(r"(?m)^  reason: \S.*$", "  reason: ...", text)
    # A timing's width varies with its digits ("   4.0 s", "  12.3 s"): the padding goes with it.
    return [re.sub(r" *\d+\.\d s", " N s", line) for line in text.splitlines()]


def test_readme_comparison_ignores_timings_and_their_padding():
    quiet = "ingest          4.0 s  209,087 events from 3 files (0 lines rejected)\ncase file: d/c.duckdb  (9.2 s in all)"
    loaded = "ingest         12.3 s  209,087 events from 3 files (0 lines rejected)\ncase file: d/c.duckdb  (31.0 s in all)"
    assert _stable(quiet, "d") == _stable(loaded, "d")
    assert _stable(quiet, "d") != _stable(quiet.replace("209,087 events", "209,086 events"), "d")


def test_readme_shows_what_the_demo_prints(demo_run):
    """The README's demo output (tools/demo_readme.py) is a real run's, apart from timings."""
    from conftest import ROOT

    directory, output = demo_run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- demo-output -->\n```console\n\$ forensics demo\n(.*?)\n```", readme, re.S).group(1)

    assert _stable(block, directory) == _stable(output.rstrip("\n"), directory), (
        "README.md's demo output is stale: refresh it with `python tools/demo_readme.py`")
    assert (ROOT / "docs" / "demo-report-summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_claims_are_reconciled_a_year_and_a_day_off(demo_run):
    from forensics.case import Case
    from forensics.demo.runner import CASE_FILE

    directory, output = demo_run
    assert 'claim "19.03. Rettungssystem unbefugt benutzt": different_year (2025; logged 2025-03-19T18:38:30+00:00)' in output
    assert 'claim "20.03. SUSE neu installiert": different_year (2025; logged 2025-03-20T17:55:06+00:00)' in output
    assert 'claim "23.03. CentOS installiert": off_by_days (1 day; logged 2026-03-22T20:09:38+00:00)' in output
    manifest = json.loads((directory / "manifest.json").read_text())
    dispute = next(d for d in manifest["disputes"] if d["expected_assessment"] == "account_holder")
    with Case.open(directory / CASE_FILE, read_only=True) as case:
        investigation = case.investigate(dispute["account"], action="reinstall", since=dispute["since"],
                                         until=dispute["until"], claims=dispute["claims"])
        sources = case.sources()
    claims = {c.text: c for c in investigation.claims}
    for expected in dispute["expected_claims"]:
        claim = claims[expected["text"]]
        assert claim.classification == expected["classification"], claim.explanation
        match = claim.matches[0]
        assert match.event.event == expected["event"]
        assert match.event.ts.date().isoformat() == expected["event_date"]
        assert match.year == expected["year"] or expected["year"] is None
        assert match.days_off == expected["days_off"] or expected["days_off"] is None
        # The evidence cites the panel log's line, with its raw text.
        assert match.event.citation.startswith(str(directory / "panel-audit.jsonl") + ":") or \
            match.event.path.endswith("panel-audit.jsonl")
        assert expected["event_date"] in match.event.raw
    # Nothing lost: every line of the three files is an event (no rejects).
    assert sources["lines_rejected"].sum() == 0
    assert dict(zip(sources["path"].map(lambda p: Path(p).name), sources["events_parsed"])) == manifest["counts"]
    finding = investigation.findings[0]
    assert finding.assessment == "account_holder"
    assert finding.clickstream_verdict == "human"
    assert finding.session.auth == "password" and finding.session.ip.startswith("217.235.87.")


def test_demo_refuses_a_directory_with_a_foreign_case_file(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    (tmp_path / "demo-case.duckdb").write_bytes(b"someone's case")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a demo directory; choose another DIR" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-case.duckdb"]   # nothing written
    assert (tmp_path / "demo-case.duckdb").read_bytes() == b"someone's case"


def test_demo_notices_story(demo_run):
    """The third dispute: four notices and a call before the block, one bounced
    to the old address; the documents answered after eight days."""
    from forensics.case import Case
    from forensics.demo.runner import CASE_FILE

    directory, output = demo_run
    notices = output[output.index("K-10078 ("):]
    assert "notices before the block of omueller.example at 2026-03-16T06:00:00+00:00" in notices
    assert "to omueller@mailbox.example.de (not the address on record): bounced" in notices
    assert 'claim "Niemand hat mich informiert, dass die Domain gesperrt wird.": contradicted' in notices
    assert 'claim "Seit 8 Tagen keine Reaktion auf meine Unterlagen.": supported' in notices
    assert 'claim "I never got an answer from support.": partly' in notices
    pdf = directory / "report-K-10078.pdf"
    assert f"report: {pdf}\n  SHA-256: {hashlib.sha256(pdf.read_bytes()).hexdigest()}\n" in output
    manifest = json.loads((directory / "manifest.json").read_text())
    dispute = manifest["notice_disputes"][0]
    with Case.open(directory / CASE_FILE, read_only=True) as case:
        inv = case.investigate_notices(dispute["account"], since=dispute["since"], until=dispute["until"],
                                       claims=dispute["claims"], tz=dispute["tz"])
    outcomes = [[c.channel, c.outcome] for c in inv.contacts if not c.routine]
    assert outcomes == dispute["expected_outcomes"]
    assert [[c.text, c.classification] for c in inv.claims] == dispute["expected_claims"]
    bounced = inv.contacts[0]
    assert bounced.on_record is False and bounced.trace.final.dsn == "5.1.1"
    assert bounced.trace.final.ref.path.endswith("mail.log") and "550 5.1.1" in bounced.trace.final.ref.raw
    greylisted = next(c for c in inv.contacts if c.trace and len(c.trace.attempts) == 2)
    assert [a.status for a in greylisted.trace.attempts] == ["deferred", "sent"]
    assert greylisted.outcome == "delivered"
    docs = inv.customer_messages[1]
    assert docs.first_response_hours == pytest.approx(198.42, abs=0.01) and docs.within_promise is False
