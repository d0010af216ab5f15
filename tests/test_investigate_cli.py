"""`forensics investigate` and `forensics timeline`: text, JSON (validated against the schema), errors."""

import dataclasses
import json
import re
import typing

import jsonschema
import pytest
from click.testing import CliRunner

import casebuilder as cb
from forensics.cli import main
from forensics.investigate import model
from forensics.resources import package_dir

SCHEMA = json.loads((package_dir() / "investigate" / "investigation.schema.json").read_text(encoding="utf-8"))
DDMM = re.compile(r"(?<![\d.:-])\d{1,2}[./]\d{1,2}[./](\d{2,4})?(?![\d])")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "case.duckdb"
    cb.founding_story(path).close()
    return path


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def test_text_output_for_a_person(story):
    r = _run("investigate", story, "--account", cb.HOLDER, "--since", "2026-03-01", "--tz", "Europe/Berlin",
             "--claim", "23.03. CentOS installiert")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "ASSESSMENT: account_holder" in out
    assert "reinstall on srv-4711 (os: CentOS 7) at 2026-03-22T08:15:32+00:00 (2026-03-22T09:15:32+01:00 Europe/Berlin)" in out
    assert "[panel-audit.jsonl:490]" in out
    assert "OFF_BY_DAYS" in out and "1 day earlier" in out
    # The customer's "23.03." is quoted as written; no tool-made DD.MM date anywhere else.
    assert not DDMM.search(out.replace("23.03. CentOS installiert", ""))


def test_json_output_validates_against_the_schema(story):
    r = _run("investigate", story, "--account", cb.HOLDER, "--since", "2026-03-01", "--json",
             "--claim", "19.03. Rettungssystem unbefugt benutzt", "--claim", "23.3. přeinstalace serveru")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    f = doc["findings"][0]
    assert f["assessment"] == "account_holder"
    assert f["action"]["ts"] == "2026-03-22T08:15:32+00:00"
    assert f["session"]["login"]["path"] == "panel-audit.jsonl"
    assert {i["name"] for i in f["indicators"]} >= {
        "credential", "failed_logins", "account_changes", "browser_fingerprint", "network", "anonymiser", "travel",
        "prior_activity", "clickstream", "session_consistency", "staff_activity", "baseline_size"}
    assert [c["classification"] for c in doc["claims"]] == ["different_year", "off_by_days"]
    assert doc["claims"][1]["language"] == "cs"


@pytest.mark.parametrize("builder,account", [(cb.brute_forced, cb.HOLDER), (cb.staff_impersonation, cb.HOLDER),
                                             (cb.api_key_leaked, cb.API_ACCOUNT), (cb.system_job, cb.HOLDER),
                                             (cb.login_in_gap, cb.HOLDER)])
def test_json_of_every_assessment_validates(tmp_path, builder, account):
    from forensics.investigate import investigate

    from forensics.investigate.textout import render_text

    with builder(tmp_path / "case.duckdb") as case:
        inv = investigate(case, account, since="2026-03-01", tz="Europe/Prague")
    doc = json.loads(json.dumps(inv.to_dict()))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    text = render_text(inv)
    assert f"ASSESSMENT: {inv.findings[-1].assessment}" in text
    assert "+01:00 Europe/Prague)" in text or "+02:00 Europe/Prague)" in text


def test_schema_follows_the_model():
    """Every dataclass field is in the schema (fields may be added, never renamed)."""
    defs = SCHEMA["$defs"]
    for cls in (model.Investigation, model.ActionFinding, model.Session, model.EventRef, model.Indicator,
                model.ClaimResult, model.ClaimMatch, model.SourceCoverage, model.Gap, model.HistoryRow,
                model.Click, model.IpFacts, model.BrowserFacts):
        names = {f.name for f in dataclasses.fields(cls)}
        assert names == set(defs[cls.__name__]["properties"]), cls.__name__
    assert defs["Assessment"]["enum"] == list(typing.get_args(model.Assessment))


def test_unknown_account_and_bad_options_are_sentences(story, tmp_path):
    r = _run("investigate", story, "--account", "K-99999")
    assert r.exit_code == 1 and "no events for account 'K-99999'" in r.output
    r = _run("investigate", story, "--account", cb.HOLDER, "--since", "22.03.2026")
    assert r.exit_code == 2 and "not an ISO date" in r.output  # a usage error
    r = _run("investigate", story, "--account", cb.HOLDER, "--tz", "Mars/Olympus")
    assert r.exit_code == 2 and "unknown time zone" in r.output
    r = _run("investigate", tmp_path / "missing.duckdb", "--account", cb.HOLDER)
    assert r.exit_code == 1 and "case file not found" in r.output


def test_timeline_merges_panel_web_and_sshd(story):
    r = _run("timeline", story, "--account", cb.HOLDER, "--since", "2026-03-21", "--until", "2026-03-22")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert any("panel  reinstall success" in l and "[panel-audit.jsonl:490]" in l for l in lines)
    assert any("http   POST /servers/srv-4711/reinstall 303" in l and "by session id" in l for l in lines)
    bot = [l for l in lines if "61.177.172.60" in l]
    assert len(bot) == 6 and "(sshd on the account's server)" in bot[0]
    assert lines[0].startswith("2026-03-21T")
    assert lines == sorted(lines, key=lambda l: l[:25])


def test_timeline_csv_and_local_zone(story):
    r = _run("timeline", story, "--account", cb.HOLDER, "--since", "2026-03-22", "--until", "2026-03-22",
             "--tz", "Europe/Berlin", "--csv")
    assert r.exit_code == 0
    header, *rows = r.output.splitlines()
    assert header.startswith("ts,source_kind,event,")
    assert any(row.startswith("2026-03-22T09:15:32+01:00,panel,reinstall") for row in rows)


def test_timeline_library_function(story):
    from forensics.case import Case
    from forensics.investigate import timeline

    with Case.open(story, read_only=True) as case:
        frame = timeline(case, cb.HOLDER, since="2026-03-22", until="2026-03-22")
    assert set(frame["source_kind"]) == {"panel", "http", "ssh"}
    assert frame["ts"].is_monotonic_increasing
    login = frame[(frame["event"] == "login")].iloc[0]
    assert (login["path"], login["line_no"], login["ip"]) == ("panel-audit.jsonl", 489, "84.132.10.99")


def test_config_file_changes_the_rules(story, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text("[baseline]\nmin_sessions = 50\n", encoding="utf-8")
    r = _run("investigate", story, "--account", cb.HOLDER, "--since", "2026-03-01", "--json", "--config", strict)
    doc = json.loads(r.output)
    f = doc["findings"][0]
    assert f["assessment"] == "inconclusive"
    assert any("the rules need 50" in m for m in f["missing"])
    assert doc["thresholds"]["baseline"]["min_sessions"] == 50
    bad = tmp_path / "bad.toml"
    bad.write_text("[baseline]\nno_such_rule = 1\n", encoding="utf-8")
    r = _run("investigate", story, "--account", cb.HOLDER, "--config", bad)
    assert r.exit_code == 1 and "unknown setting 'no_such_rule'" in r.output
