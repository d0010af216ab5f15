"""The named queries of queries/: headers, parameters, results, and the `forensics query` command."""

import json

import pytest
from click.testing import CliRunner

import casebuilder as cb
from forensics.cli import main
from forensics.named_queries import all_queries, run_query

INVESTIGATION_QUERIES = {"account_events", "session_requests", "login_failures", "ssh_events", "ip_facts",
                         "browser_facts", "source_coverage", "source_gaps", "geoip_provenance",
                         "account_logins", "staff_activity"}


@pytest.fixture(scope="module")
def brute(tmp_path_factory):
    path = tmp_path_factory.mktemp("queries") / "case.duckdb"
    cb.brute_forced(path).close()
    return path


def test_every_query_has_a_header_and_declares_its_parameters():
    queries = all_queries()
    assert INVESTIGATION_QUERIES <= set(queries)
    for q in queries.values():
        assert q.description and q.path.stem == q.name


def test_investigation_runs_its_sql_through_named_queries(brute):
    from forensics.case import Case
    from forensics.investigate import investigate

    with Case.open(brute, read_only=True) as case:
        inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    assert set(inv.queries_used) <= set(all_queries())
    assert {"account_events", "session_requests", "login_failures", "ssh_events", "ip_facts",
            "source_gaps"} <= set(inv.queries_used)


def test_login_failures_returns_the_evidence_rows(brute):
    from forensics.case import Case

    with Case.open(brute, read_only=True) as case:
        rows = run_query(case, "login_failures", {"account": cb.HOLDER, "ips": ["45.95.147.13"], "users": [],
                                                  "since": "2026-03-22T00:00:00+00:00", "until": "2026-03-22T02:00:00+00:00"})
    assert len(rows) == 48
    ssh = rows[rows["source_kind"] == "ssh"]
    assert len(ssh) == 8
    first = ssh.iloc[0]
    assert first["path"] == "auth.log" and first["ip"] == "45.95.147.13"
    assert first["raw"].endswith("sshd[4242]: Failed password for root from 45.95.147.13 port 50000 ssh2")


def test_source_gaps_finds_a_silence(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b, start="2026-01-01", end="2026-01-31", skip_panel=[(cb.dt.date(2026, 1, 10), cb.dt.date(2026, 1, 14))])
    with b.build() as case:
        gaps = run_query(case, "source_gaps", {"min_gap_hours": 72})
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert g["gap_start"].isoformat() == "2026-01-09T03:00:00+00:00"
    assert g["gap_end"].isoformat() == "2026-01-15T03:00:00+00:00"
    assert g["hours"] == 144.0


def test_hostile_values_are_bound_not_pasted(brute):
    from forensics.case import Case

    with Case.open(brute, read_only=True) as case:
        rows = run_query(case, "account_events", {"account": "K-10023' OR '1'='1"})
        assert rows.empty
        rows = run_query(case, "ip_facts", {"ips": ["1.2.3.4'); DROP TABLE events; --"]})
        assert rows.empty
        assert case.con.execute("SELECT count(*) FROM events").fetchone()[0] > 0


def test_cli_query_list_shows_names_descriptions_params():
    result = CliRunner().invoke(main, ["query", "--list"])
    assert result.exit_code == 0
    assert "login_failures: Failed logins before a session" in result.output
    assert "--param ips=...  LIST of addresses" in result.output


def test_cli_query_csv_and_json(brute):
    runner = CliRunner()
    args = ["query", str(brute), "login_failures", "--param", f"account={cb.HOLDER}",
            "--param", "ips=45.95.147.13,45.95.147.14", "--param", "users=",
            "--param", "since=2026-03-22", "--param", "until=2026-03-23"]
    csv = runner.invoke(main, args + ["--csv"])
    assert csv.exit_code == 0, csv.output
    lines = csv.output.splitlines()
    assert lines[0].startswith("event_id,source_id,path,line_no,ts,")
    assert len(lines) == 1 + 40 + 8    # header, the account's 40 panel failures, 8 sshd failures from .13
    assert ",2026-03-22T01:00:00+00:00," in lines[1]
    doc = json.loads(runner.invoke(main, args + ["--json"]).output)
    assert doc[0]["ts"] == "2026-03-22T01:00:00+00:00" and doc[0]["account"] == cb.HOLDER


def test_cli_query_errors_are_sentences(brute):
    runner = CliRunner()
    r = runner.invoke(main, ["query", str(brute), "no_such_query"])
    assert r.exit_code == 1 and "no query named 'no_such_query'" in r.output
    r = runner.invoke(main, ["query", str(brute), "account_events"])
    assert r.exit_code == 1 and "needs parameter: account" in r.output
    r = runner.invoke(main, ["query"])
    assert r.exit_code == 2


def test_only_the_latest_enrich_runs_note_reaches_the_investigation(tmp_path):
    """enrich_runs.note describes the whole case after its run, so an early
    "no GeoIP database" note is superseded once a later run used databases."""
    import datetime as dt

    from casebuilder import HOLDER, founding_story
    from forensics.investigate import investigate

    case = founding_story(tmp_path / "case.duckdb")
    early = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    case.con.execute(
        "INSERT INTO enrich_runs (run_id, started_at, finished_at, new_user_agents, new_ips, invalid_ips, note) "
        "VALUES (0, $t, $t, 0, 0, 0, 'No GeoIP database was given: ISP data unavailable')", {"t": early})
    result = investigate(case, HOLDER)
    assert not any("No GeoIP database was given" in n for n in result.notes)
    assert result.isp_data_available
