"""The Python API the notebooks use: `forensics.Case` and its stage methods.

The CLI is a thin layer over the same calls; these tests use the API on a
small generated sample (20 accounts, 15 months, both scripted disputes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest

import forensics
from forensics.demo.generator import generate_sample
from forensics.errors import ForensicsError

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def api_case(tmp_path_factory):
    directory = tmp_path_factory.mktemp("api")
    sample = generate_sample(directory, accounts=20)
    case = forensics.Case.open(directory / "case.duckdb")
    case.ingest([sample.panel_log, sample.access_log])
    case.ingest(sample.auth_log, tz=sample.auth_log_tz, host=sample.auth_log_host)
    case.enrich(geoip_paths=sample.geoip_db)
    yield case, sample
    case.close()


def _line(path, line_no: int) -> str:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if n == line_no:
                return line.rstrip("\n")
    raise AssertionError(f"{path} has no line {line_no}")


def test_case_is_importable_from_the_package():
    from forensics.case import Case

    assert forensics.Case is Case


def test_open_refuses_a_missing_case_read_only(tmp_path):
    with pytest.raises(ForensicsError, match="case file not found"):
        forensics.Case.open(tmp_path / "nope.duckdb", read_only=True)


def test_sources_list_the_files_with_their_counts(api_case):
    case, sample = api_case
    sources = case.sources()
    assert list(sources["format"]) == ["panel-jsonl", "combined", "syslog"]
    assert list(sources["path"]) == [str(p) for p in sample.log_files]
    assert list(sources["events_parsed"]) == [sample.counts[p.name] for p in sample.log_files]
    assert list(sources["sha256"]) == [hashlib.sha256(p.read_bytes()).hexdigest() for p in sample.log_files]
    auth = sources.iloc[2]
    assert auth["host"] == sample.auth_log_host and auth["tz"] == "UTC"
    assert "modification time" in auth["year_decision"]


def test_events_of_an_account_trace_back_to_their_lines(api_case):
    case, sample = api_case
    dispute = sample.dispute("account_holder")
    events = case.events(dispute.account)
    assert set(events["account"]) == {dispute.account}
    assert events["ts"].is_monotonic_increasing
    reinstalls = events[events["event"] == "reinstall"]
    assert [ts.date().isoformat() for ts in reinstalls["ts"]] == ["2025-03-20", "2026-03-22"]
    assert reinstalls["ts"].iloc[-1] == dispute.action_time
    row = reinstalls.iloc[-1]
    assert _line(sample.panel_log, int(row["line_no"])) == row["raw"]
    assert json.loads(row["raw"])["detail"] == {"os": "CentOS Stream 9"}
    assert len(case.events(dispute.account, since=dispute.since, until=dispute.until, limit=3)) == 3


def test_logins_carry_network_and_browser(api_case):
    case, sample = api_case
    dispute = sample.dispute("account_holder")
    logins = case.logins(dispute.account)
    assert set(logins["result"]) == {"success"}
    assert set(logins["browser_family"]) == {"Firefox"} and set(logins["os_family"]) == {"Windows"}
    assert set(logins["network"]) == {"217.224.0.0/11"} and set(logins["as_org"]) == {"Deutsche Telekom AG"}
    assert set(logins["prefix"]) == {"217.235.142.0/24", "217.235.87.0/24"}


def test_sessions_frame(api_case):
    case, sample = api_case
    dispute = sample.dispute("account_holder")
    sessions = case.sessions(dispute.account)
    assert list(sessions.columns)[:4] == ["session_id", "start", "end", "end_reason"]
    disputed = sessions[sessions["actions"].str.contains("reinstall") & (sessions["start"] >= dispute.since)]
    assert len(disputed) == 1
    row = disputed.iloc[0]
    assert (row["auth"], row["ip"], row["country"]) == ("password", "217.235.87.31", "DE")
    assert row["browser"].startswith("Firefox ") and "Windows" in row["browser"]
    path, line_no = row["login_citation"].rsplit(":", 1)
    login = json.loads(_line(path, int(line_no)))
    assert (login["event"], login["session"]) == ("login", row["session_id"])


def test_timeline_merges_panel_access_and_sshd(api_case):
    case, sample = api_case
    dispute = sample.dispute("account_holder")
    timeline = case.timeline(dispute.account, since=dispute.action_time - dt.timedelta(minutes=5),
                             until=dispute.action_time + dt.timedelta(hours=1))
    assert isinstance(timeline, pd.DataFrame)
    assert {"panel", "http", "ssh"} <= set(timeline["source_kind"])
    confirm = timeline[(timeline["source_kind"] == "http")
                       & (timeline["http_path"] == f"/servers/{dispute.target}/reinstall/confirm")]
    assert set(confirm["method"]) == {"GET", "POST"}
    ssh = timeline[timeline["source_kind"] == "ssh"]
    assert ssh["raw"].str.contains("Accepted password for root from 217.235.87.31").any()


def test_named_queries_with_parameters(api_case):
    case, sample = api_case
    dispute = sample.dispute("compromise_suspected")
    events = case.query("account_events", account=dispute.account)
    assert len(events) == len(case.events(dispute.account))
    failures = case.query("login_failures", account=dispute.account, ips=[], users=[dispute.user],
                          since=dispute.action_time, until=dispute.until)
    # The holder's own password failing in the morning after the takeover.
    assert len(failures) == 2 and set(failures["result"]) == {"failure"}
    with pytest.raises(ForensicsError, match="no query named"):
        case.query("no_such_query")
    with pytest.raises(ForensicsError, match="needs parameter"):
        case.query("account_events")


def test_investigate_returns_the_result_objects(api_case):
    from forensics.investigate.model import Investigation

    case, sample = api_case
    for dispute in sample.disputes:
        investigation = case.investigate(dispute.account, action=dispute.action, since=dispute.since,
                                         until=dispute.until, claims=dispute.claims)
        assert isinstance(investigation, Investigation)
        [finding] = investigation.findings
        assert finding.action.ts == dispute.action_time
        assert finding.assessment == dispute.expected_assessment, finding.reason
        assert [c.classification for c in investigation.claims] == [
            c.classification for c in dispute.expected_claims]
        json.dumps(investigation.to_dict())

# Case.report is exercised by tests/test_demo.py (the demo renders both reports
# through it and the test checks each PDF against its printed SHA-256).
